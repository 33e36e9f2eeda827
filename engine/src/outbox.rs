//! Delivering the outbox: messages written by transitions are claimed in batches, rendered
//! from their letter template and handed to their channel's transport. Every attempt is
//! recorded; transient failures are retried with exponential backoff; a failing channel never
//! blocks a case, because cases never wait for their messages.
//!
//! The in-app inbox is written in the same transaction as the successful attempt, so it gets
//! each message exactly once; the other channels carry the outbox id as their idempotency key
//! (`Message-ID`, `webhook-id`) so a peer can drop a repeat after a crash.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{Duration, SecondsFormat};
use serde_json::{Value, json};

use super::Engine;
use crate::notify::{Channel, Message, Transports};
use baida_store::{self as store, Case, Delivery, InboxItem, OutboxItem};

/// Attempts before a message is given up.
pub const MAX_ATTEMPTS: i64 = 8;
const LEASE_SECONDS: i64 = 120;

/// The wait before attempt `n + 1` after `n` failures: 30 s, 1 min, 2 min, … at most 1 h.
pub fn backoff(attempts: i64) -> Duration {
    let seconds = 30i64.saturating_mul(1 << attempts.clamp(0, 7));
    Duration::seconds(seconds.min(3600))
}

/// The built-in letters (zh-CN): (name, subject, body), tera templates over the case.
const LETTERS: &[(&str, &str, &str)] = &[
    (
        "sla.remind",
        "【提醒函】案件 {{ number }} 即将到期",
        "您单位承办的案件 {{ number }}（{{ app }}）“{{ step }}”环节将于 {{ due }} 到期，请抓紧办理。",
    ),
    (
        "sla.urge",
        "【催办函】案件 {{ number }} 已到办理时限",
        "您单位承办的案件 {{ number }}（{{ app }}）“{{ step }}”环节已于 {{ due }} 到期，请立即办理并反馈。",
    ),
    (
        "sla.overdue",
        "【超时】案件 {{ number }}",
        "案件 {{ number }}（{{ app }}）“{{ step }}”环节已超过办理时限（{{ due }}）。",
    ),
    (
        "sla.supervise",
        "【督办函】案件 {{ number }} 超时未办",
        "案件 {{ number }}（{{ app }}）“{{ step }}”环节超过办理时限（{{ due }}）仍未办结，现予督办，请承办单位说明情况并限时办结。",
    ),
    (
        "login-code",
        "登录验证码",
        "【百搭】您的登录验证码是 {{ data.code }}，{{ data.minutes }} 分钟内有效。工作人员不会向您索要验证码，请勿告诉他人。",
    ),
    (
        "move-car-result",
        "挪车处理结果",
        "【挪车e站】您反映的车辆 {{ record.plate }} 已处理，结果：{{ labels.outcome | default(value=\"已处理\") }}。感谢您对社区的支持。",
    ),
    (
        "dispatch-unmatched",
        "案件 {{ number }} 待人工派单",
        "案件 {{ number }}（{{ app }}）在“{{ step }}”没有找到可以接收的单位{% if data.receiver %}（{{ data.receiver }}）{% endif %}，正在等待人工派单：请在工作台打开案件，改派给负责的单位。",
    ),
    (
        "anti-fraud-welcome",
        "欢迎入住",
        "【新邻护航】您好，欢迎入住！反诈提醒：公检法不会通过电话办案，不要向陌生账户转账，不要透露验证码。社区服务包已为您准备，有事请联系社区工作站。",
    ),
];

/// A rendered letter.
pub struct Letter {
    pub subject: String,
    pub body: String,
}

impl Engine {
    /// Renders an outbox message's letter over its case. An SMS quotes no free text from the
    /// record ([`super::recipient::sms_record`]).
    async fn letter(&self, item: &OutboxItem, case: Option<&Case>) -> Result<Letter, store::Error> {
        let mut ctx =
            json!({"data": item.data, "number": "", "app": "", "step": "", "due": "", "record": {}, "labels": {}});
        if let Some(case) = case {
            ctx["number"] = case.number.clone().into();
            if let Ok(Some(loaded)) = self.apps.load(&case.app_id, Some(&case.app_version)).await {
                ctx["record"] = if item.channel == "sms" {
                    super::recipient::sms_record(&loaded.compiled, &case.record)
                } else {
                    case.record.clone()
                };
                let app = &loaded.compiled.app;
                ctx["app"] = app.name.zh().into();
                // Choices by their label, for letters that quote them.
                let labels: serde_json::Map<String, Value> = loaded
                    .compiled
                    .fields
                    .iter()
                    .filter_map(|f| {
                        let v = case.record.get(&f.field.key)?.as_str()?;
                        let c = f.choices.iter().find(|c| c.value() == v)?;
                        Some((f.field.key.clone(), Value::String(c.label().zh().to_string())))
                    })
                    .collect();
                ctx["labels"] = Value::Object(labels);
                let step = item.data.get("step").and_then(Value::as_str).unwrap_or_default();
                ctx["step"] = app
                    .step(step)
                    .and_then(|s| s.name.as_ref())
                    .map(|n| n.zh().to_string())
                    .unwrap_or_else(|| step.to_string())
                    .into();
            }
        }
        if let Some(due) =
            item.data.get("due_at").and_then(Value::as_str).and_then(|d| chrono::DateTime::parse_from_rfc3339(d).ok())
        {
            ctx["due"] = due.with_timezone(&self.timezone).format("%Y-%m-%d %H:%M").to_string().into();
        }
        // A message the app's builder wrote: plain placeholders, looked up, never evaluated.
        if let Some(case) = case
            && let Ok(Some(loaded)) = self.apps.load(&case.app_id, Some(&case.app_version)).await
            && let Some(m) = loaded.compiled.app.message(&item.template)
        {
            let text = match (&m.sms, item.channel.as_str()) {
                (Some(sms), "sms") => sms,
                _ => &m.text,
            };
            let today = self.clock.now().with_timezone(&self.timezone).format("%Y-%m-%d").to_string();
            let value = |path: &str| -> String {
                let shown = |v: &Value| match v {
                    Value::String(s) => s.clone(),
                    Value::Null => String::new(),
                    Value::Bool(b) => if *b { "是" } else { "否" }.to_string(),
                    Value::Number(n) => match n.as_f64() {
                        Some(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => format!("{}", x as i64),
                        _ => n.to_string(),
                    },
                    other => other.to_string(),
                };
                match path {
                    "case.number" => shown(&ctx["number"]),
                    "app.name" => shown(&ctx["app"]),
                    "step.name" => shown(&ctx["step"]),
                    "due" => shown(&ctx["due"]),
                    "today" => today.clone(),
                    _ => match path.strip_prefix("record.") {
                        Some(k) => ctx["labels"].get(k).or_else(|| ctx["record"].get(k)).map(shown).unwrap_or_default(),
                        None => String::new(),
                    },
                }
            };
            let fill = |t: &str| {
                baida_blocks::message::Template::parse(t).map(|t| t.render(value)).unwrap_or_else(|_| t.to_string())
            };
            let subject = m.subject.as_ref().map(|s| fill(s.zh())).unwrap_or_else(|| fill("{{app.name}}"));
            return Ok(Letter { subject, body: fill(text.zh()) });
        }
        let (subject, body) = LETTERS
            .iter()
            .find(|(name, _, _)| *name == item.template)
            .map(|(_, s, b)| (*s, *b))
            .unwrap_or(("案件 {{ number }} 有新进展", "案件 {{ number }}（{{ app }}）有新进展：{{ step }}。"));
        let context = tera::Context::from_value(ctx).unwrap_or_default();
        let render = |t: &str| tera::Tera::one_off(t, &context, false).unwrap_or_else(|e| format!("{t} ({e})"));
        Ok(Letter { subject: render(subject), body: render(body) })
    }

    /// Delivers every outbox message due now, `batch` at a time. Returns how many were tried.
    pub async fn deliver_due(&self, transports: &Transports, batch: i64) -> Result<usize, store::Error> {
        let mut tried = 0;
        loop {
            let now = self.clock.now();
            let due = self.store.claim_due_outbox(now, now + Duration::seconds(LEASE_SECONDS), batch).await?;
            let n = due.len() as i64;
            for item in due {
                let started = std::time::Instant::now();
                self.deliver(transports, &item).await?;
                tried += 1;
                self.intake.yield_after(started.elapsed()).await;
            }
            if n < batch {
                return Ok(tried);
            }
        }
    }

    async fn deliver(&self, transports: &Transports, item: &OutboxItem) -> Result<(), store::Error> {
        let case = match &item.case_id {
            Some(id) => self.store.case(id).await?,
            None => None,
        };
        let letter = self.letter(item, case.as_ref()).await?;
        let attempt = item.attempts + 1;
        let now = self.clock.now();
        let refused = self.refusal(item, case.as_ref(), transports.daily_cap).await?;
        let result: Result<String, (bool, String)> = match item.channel.as_str() {
            _ if refused.is_some() => Err((false, refused.unwrap_or_default())),
            "inbox" => Ok("written to the inbox".into()),
            other => {
                let channel = match other {
                    "email" => Some(Channel::Email),
                    "sms" => Some(Channel::Sms),
                    "webhook" => Some(Channel::Webhook),
                    _ => None,
                };
                match channel.and_then(|c| transports.for_channel(c).map(|t| (c, t))) {
                    None => Err((false, format!("channel “{other}” is not configured"))),
                    Some((channel, transport)) => {
                        let payload = if channel == Channel::Webhook {
                            json!({"type": "case.step", "outbox_id": item.id, "case_id": item.case_id, "data": item.data,
                                   "subject": letter.subject, "at": now.to_rfc3339_opts(SecondsFormat::Millis, true)})
                        } else {
                            Value::Null
                        };
                        let message = Message {
                            id: item.id.clone(),
                            channel,
                            to: item.recipient.clone(),
                            subject: letter.subject.clone(),
                            body: letter.body.clone(),
                            payload,
                        };
                        match transport.send(&message).await {
                            Ok(receipt) => Ok(receipt.detail),
                            Err(e) => Err((e.is_transient(), e.detail().to_string())),
                        }
                    }
                }
            }
        };
        let outcome = match &result {
            Ok(_) => "delivered",
            Err((true, _)) => "retry",
            Err((false, _)) => "failed",
        };
        metrics::counter!("baida_outbox_deliveries_total", "channel" => item.channel.clone(), "outcome" => outcome)
            .increment(1);
        let (ok, detail, next) = match result {
            Ok(detail) => (true, detail, None),
            Err((true, detail)) if attempt < MAX_ATTEMPTS => (false, detail, Some(now + backoff(attempt))),
            Err((_, detail)) => (false, detail, None),
        };
        let inbox = (item.channel == "inbox").then(|| InboxItem {
            id: item.id.clone(),
            recipient: item.recipient.clone(),
            case_id: item.case_id.clone(),
            subject: letter.subject.clone(),
            body: letter.body.clone(),
            created_at: now,
        });
        let delivery = Delivery { outbox_id: item.id.clone(), attempt, at: now, ok, detail };
        self.store.record_attempt(&delivery, next, inbox.as_ref()).await
    }
}

/// Runs the outbox delivery every `every`.
pub fn spawn(
    engine: Arc<Engine>,
    transports: Transports,
    every: StdDuration,
    mut stopping: crate::shutdown::Stopping,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stopping.stopped() => return,
            }
            if let Err(e) = engine.deliver_due(&transports, 100).await {
                tracing::warn!(error = %e, "outbox delivery failed");
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff(1), Duration::seconds(60));
        assert_eq!(backoff(2), Duration::seconds(120));
        assert_eq!(backoff(7), Duration::seconds(3600));
        assert_eq!(backoff(50), Duration::seconds(3600));
    }

    /// The letters a `notify` step may name (what publishing checks) are the letters there are.
    #[test]
    fn the_builtin_letters_apps_may_name_exist() {
        let mut ours: Vec<&str> = LETTERS.iter().map(|(n, _, _)| *n).filter(|n| *n != "login-code").collect();
        let mut named: Vec<&str> = baida_blocks::message::BUILTIN.to_vec();
        ours.sort();
        named.sort();
        assert_eq!(ours, named);
    }
}
