-- The daily cap per recipient (engine::recipient) counts what went to one number or address.
CREATE INDEX outbox_by_recipient ON outbox (channel, recipient, delivered_at);
