//! Photos: checked by content (never by name or declared type), stripped of their EXIF
//! location unless the form keeps it, and stored content-addressed by SHA-256 under
//! `<data-dir>/blobs/sha256/`.
//!
//! Accepted: JPEG, PNG and WebP whose header declares at most `max_pixels` pixels (an
//! "image bomb" with huge declared dimensions is refused without decoding anything).
//! Location removal zeroes the GPS directory of the EXIF block (keeping orientation and the
//! rest) and drops XMP packets; if the EXIF block cannot be parsed, it is dropped whole.

use std::io::Write;
use std::path::{Path, PathBuf};

use img_parts::jpeg::{Jpeg, markers};
use img_parts::png::Png;
use img_parts::webp::WebP;
use img_parts::{Bytes, ImageEXIF};

use baida_core::hash::sha256_hex;

/// Why an upload was refused.
#[derive(Debug, thiserror::Error)]
pub enum PhotoError {
    #[error("not a JPEG, PNG or WebP image")]
    NotAnImage,
    #[error("the image declares {width}×{height} pixels, more than the {max} allowed")]
    TooManyPixels { width: u64, height: u64, max: u64 },
    #[error("the image is {size} bytes, more than the {max} allowed")]
    TooLarge { size: usize, max: usize },
    #[error("could not store the photo: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] baida_store::Error),
}

/// A checked, cleaned photo ready to store.
#[derive(Debug, Clone)]
pub struct Checked {
    pub sha256: String,
    pub content_type: &'static str,
    pub width: u64,
    pub height: u64,
    pub bytes: Bytes,
}

/// Checks `data` by content and removes its location unless `keep_location`.
pub fn check(data: Bytes, max_bytes: usize, max_pixels: u64, keep_location: bool) -> Result<Checked, PhotoError> {
    if data.len() > max_bytes {
        return Err(PhotoError::TooLarge { size: data.len(), max: max_bytes });
    }
    let content_type = match imagesize::image_type(&data) {
        Ok(imagesize::ImageType::Jpeg) => "image/jpeg",
        Ok(imagesize::ImageType::Png) => "image/png",
        Ok(imagesize::ImageType::Webp) => "image/webp",
        _ => return Err(PhotoError::NotAnImage),
    };
    let size = imagesize::blob_size(&data).map_err(|_| PhotoError::NotAnImage)?;
    let (width, height) = (size.width as u64, size.height as u64);
    if width == 0 || height == 0 {
        return Err(PhotoError::NotAnImage);
    }
    if width.saturating_mul(height) > max_pixels {
        return Err(PhotoError::TooManyPixels { width, height, max: max_pixels });
    }
    let bytes = match content_type {
        "image/jpeg" => {
            let mut img = Jpeg::from_bytes(data).map_err(|_| PhotoError::NotAnImage)?;
            if !keep_location {
                // XMP (and its extension segments) and IPTC in Photoshop's APP13 can both carry
                // where a photo was taken, as text: they go whole.
                img.segments_mut().retain(|s| {
                    let c = s.contents();
                    let xmp = s.marker() == markers::APP1
                        && (c.starts_with(b"http://ns.adobe.com/xap/1.0/")
                            || c.starts_with(b"http://ns.adobe.com/xmp/extension/"));
                    let iptc = s.marker() == markers::APP13 && c.starts_with(b"Photoshop 3.0");
                    !(xmp || iptc)
                });
                let exif = img.exif().and_then(|e| strip_gps(&e));
                img.set_exif(exif.map(Bytes::from));
            }
            img.encoder().bytes()
        }
        "image/png" => {
            let mut img = Png::from_bytes(data).map_err(|_| PhotoError::NotAnImage)?;
            if !keep_location {
                // XMP travels in a text chunk keyed `XML:com.adobe.xmp`.
                img.chunks_mut().retain(|c| {
                    !(matches!(&c.kind(), b"iTXt" | b"tEXt" | b"zTXt")
                        && c.contents().starts_with(b"XML:com.adobe.xmp"))
                });
                let exif = img.exif().and_then(|e| strip_gps(&e));
                img.set_exif(exif.map(Bytes::from));
            }
            img.encoder().bytes()
        }
        _ => {
            let mut img = WebP::from_bytes(data).map_err(|_| PhotoError::NotAnImage)?;
            if !keep_location {
                img.remove_chunks_by_id(*b"XMP ");
                let exif = img.exif().and_then(|e| strip_gps(&e));
                img.set_exif(exif.map(Bytes::from));
            }
            img.encoder().bytes()
        }
    };
    Ok(Checked { sha256: sha256_hex(&bytes), content_type, width, height, bytes })
}

/// Returns the TIFF-structured EXIF data with its GPS directory emptied and zeroed, or
/// `None` when the data cannot be parsed (the caller then drops the EXIF block).
pub fn strip_gps(exif: &[u8]) -> Option<Vec<u8>> {
    let mut t = exif.to_vec();
    let le = match t.get(0..2)? {
        b"II" => true,
        b"MM" => false,
        _ => return None,
    };
    let u16_at = |t: &[u8], o: usize| -> Option<usize> {
        let b: [u8; 2] = t.get(o..o + 2)?.try_into().ok()?;
        Some(if le { u16::from_le_bytes(b) } else { u16::from_be_bytes(b) } as usize)
    };
    let u32_at = |t: &[u8], o: usize| -> Option<usize> {
        let b: [u8; 4] = t.get(o..o + 4)?.try_into().ok()?;
        Some(if le { u32::from_le_bytes(b) } else { u32::from_be_bytes(b) } as usize)
    };
    let ifd0 = u32_at(&t, 4)?;
    let entries = u16_at(&t, ifd0)?;
    for i in 0..entries {
        let e = ifd0 + 2 + i * 12;
        if u16_at(&t, e)? != 0x8825 {
            continue;
        }
        let gps = u32_at(&t, e + 8)?;
        let count = u16_at(&t, gps)?;
        for j in 0..count {
            let ge = gps + 2 + j * 12;
            let unit = match u16_at(&t, ge + 2)? {
                1 | 2 | 6 | 7 => 1,
                3 | 8 => 2,
                4 | 9 | 11 => 4,
                5 | 10 | 12 => 8,
                _ => return None,
            };
            let size = unit * u32_at(&t, ge + 4)?;
            if size > 4 {
                let off = u32_at(&t, ge + 8)?;
                t.get_mut(off..off + size)?.fill(0);
            }
            t.get_mut(ge..ge + 12)?.fill(0);
        }
        // An empty directory: zero entries, no next directory.
        t.get_mut(gps..gps + 2)?.fill(0);
        t.get_mut(gps + 2 + count * 12..gps + 6 + count * 12)?.fill(0);
    }
    Some(t)
}

/// The folder of content-addressed blobs.
#[derive(Debug, Clone)]
pub struct Blobs {
    dir: PathBuf,
}

impl Blobs {
    pub fn new(data_dir: &Path) -> Blobs {
        Blobs { dir: data_dir.join("blobs").join("sha256") }
    }

    fn path(&self, sha256: &str) -> Option<PathBuf> {
        let valid = sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        valid.then(|| self.dir.join(&sha256[..2]).join(sha256))
    }

    /// Writes `bytes` under their hash: to a temporary file, synced, then renamed into place.
    pub async fn put(&self, sha256: &str, bytes: Bytes) -> Result<(), PhotoError> {
        let path = self.path(sha256).ok_or(PhotoError::NotAnImage)?;
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            if path.exists() {
                return Ok(());
            }
            let dir = path.parent().expect("a blob path has a parent");
            std::fs::create_dir_all(dir)?;
            let mut tmp = tempfile_in(dir)?;
            tmp.1.write_all(&bytes)?;
            tmp.1.sync_all()?;
            std::fs::rename(&tmp.0, &path)?;
            std::fs::File::open(dir)?.sync_all()?;
            Ok(())
        })
        .await
        .map_err(std::io::Error::other)??;
        Ok(())
    }

    /// Reads a blob; `None` when there is none (or the name is not a SHA-256).
    pub async fn get(&self, sha256: &str) -> Option<Vec<u8>> {
        tokio::fs::read(self.path(sha256)?).await.ok()
    }
}

fn tempfile_in(dir: &Path) -> std::io::Result<(PathBuf, std::fs::File)> {
    let path = dir.join(format!(".upload-{}", uuid::Uuid::new_v4().simple()));
    let file = std::fs::OpenOptions::new().write(true).create_new(true).open(&path)?;
    Ok((path, file))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A little-endian TIFF with IFD0 holding Orientation and a GPS pointer, and a GPS
    /// directory holding latitude ref "N" and a latitude (3 rationals, out of line).
    fn exif_with_gps() -> Vec<u8> {
        let mut t = b"II\x2a\x00\x08\x00\x00\x00".to_vec();
        // IFD0 at 8: 2 entries.
        t.extend([2, 0]);
        t.extend([0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0]); // Orientation = 6
        t.extend([0x25, 0x88, 4, 0, 1, 0, 0, 0, 38, 0, 0, 0]); // GPS IFD at 38
        t.extend([0, 0, 0, 0]);
        // GPS IFD at 38: 2 entries.
        t.extend([2, 0]);
        t.extend([0x01, 0x00, 2, 0, 2, 0, 0, 0, b'N', 0, 0, 0]);
        t.extend([0x02, 0x00, 5, 0, 3, 0, 0, 0, 68, 0, 0, 0]);
        t.extend([0, 0, 0, 0]);
        // Latitude data at 68: 22/1 32/1 0/1.
        for (n, d) in [(22u32, 1u32), (32, 1), (0, 1)] {
            t.extend(n.to_le_bytes());
            t.extend(d.to_le_bytes());
        }
        t
    }

    #[test]
    fn gps_is_zeroed_and_orientation_kept() {
        let before = exif_with_gps();
        let after = strip_gps(&before).unwrap();
        assert_eq!(after.len(), before.len());
        assert_eq!(&after[10..22], &before[10..22], "orientation entry kept");
        assert!(after[38..].iter().all(|b| *b == 0), "GPS directory and its data zeroed");
        assert!(!after.windows(1).any(|w| w == b"N"));
    }

    #[test]
    fn garbage_exif_is_dropped() {
        assert_eq!(strip_gps(b"not tiff"), None);
        assert_eq!(strip_gps(b"II\x2a\x00\xff\xff\x00\x00"), None);
    }

    #[test]
    fn xmp_and_iptc_places_are_dropped_unless_the_form_keeps_the_location() {
        use img_parts::jpeg::JpegSegment;
        use img_parts::png::PngChunk;
        let fixture =
            |name: &str| std::fs::read(format!("{}/../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let place = b"<exif:GPSLatitude>22,32.1N</exif:GPSLatitude><photoshop:City>Shenzhen</photoshop:City>";
        let mut jpeg = Jpeg::from_bytes(fixture("photo-gps.jpg").into()).unwrap();
        let mut xmp = b"http://ns.adobe.com/xap/1.0/\0".to_vec();
        xmp.extend_from_slice(place);
        let mut iptc = b"Photoshop 3.0\0".to_vec();
        iptc.extend_from_slice(place);
        jpeg.segments_mut().insert(1, JpegSegment::new_with_contents(markers::APP1, Bytes::from(xmp)));
        jpeg.segments_mut().insert(1, JpegSegment::new_with_contents(markers::APP13, Bytes::from(iptc)));
        let mut png = Png::from_bytes(fixture("photo.png").into()).unwrap();
        let mut itxt = b"XML:com.adobe.xmp\0\0\0\0\0".to_vec();
        itxt.extend_from_slice(place);
        png.chunks_mut().insert(1, PngChunk::new(*b"iTXt", Bytes::from(itxt)));
        let contains = |hay: &[u8]| hay.windows(8).any(|w| w == b"Shenzhen");
        for bytes in [jpeg.encoder().bytes(), png.encoder().bytes()] {
            assert!(contains(&bytes), "the fixture carries the place");
            let kept = check(bytes.clone(), 10_000_000, 50_000_000, true).unwrap();
            assert!(contains(&kept.bytes), "kept when the form asks for the location");
            let cleaned = check(bytes, 10_000_000, 50_000_000, false).unwrap();
            assert!(!contains(&cleaned.bytes), "{}: XMP and IPTC dropped", cleaned.content_type);
        }
    }

    #[test]
    fn non_images_and_bombs_are_refused() {
        let html = Bytes::from_static(b"<html><script>alert(1)</script></html>");
        assert!(matches!(check(html, 1 << 20, 1 << 26, false), Err(PhotoError::NotAnImage)));
        let svg = Bytes::from_static(b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>");
        assert!(matches!(check(svg, 1 << 20, 1 << 26, false), Err(PhotoError::NotAnImage)));
        // A PNG header declaring 100000 × 100000 pixels.
        let mut bomb = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR".to_vec();
        bomb.extend(100_000u32.to_be_bytes());
        bomb.extend(100_000u32.to_be_bytes());
        bomb.extend([8, 2, 0, 0, 0, 0, 0, 0, 0]);
        assert!(matches!(check(Bytes::from(bomb), 1 << 20, 1 << 26, false), Err(PhotoError::TooManyPixels { .. })));
    }
}
