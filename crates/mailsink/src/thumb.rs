//! Thumbnails of image attachments (Mailpit's
//! `GET /api/v1/message/{ID}/part/{PartID}/thumb`): a 180×120 JPEG, the image scaled to
//! fill it and cropped, or, when smaller, centred on white.
//!
//! PNG, JPEG and GIF are decoded (the first frame of a GIF), within limits on size and
//! memory, on a blocking thread: a corrupt or huge image is a 400 with the reason, never
//! a panic of the server. At most two are made at once, and the browser may keep them
//! (a message's parts never change). A part that is not an image is a 400 too (Mailpit
//! answers a blank image there; a clear refusal tells a client more).

use std::io::Cursor;

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use image::imageops::FilterType;
use image::{DynamicImage, ImageFormat, ImageReader, Limits, Rgba, RgbaImage};

use crate::http::{ApiError, AppState};

/// Mailpit's thumbnail size.
const WIDTH: u32 = 180;
const HEIGHT: u32 = 120;
/// Largest image decoded, per side.
const MAX_SIDE: u32 = 10_000;
/// Most memory a decode may allocate.
const MAX_ALLOC: u64 = 128 * 1024 * 1024;
const JPEG_QUALITY: u8 = 80;
/// Thumbnails made at once: decoding is CPU work, and a page of big images must not
/// take every core from the SMTP side.
static DECODES: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// A 180×120 JPEG of `bytes`, or why there is none.
pub(crate) fn thumbnail(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| format!("cannot read the image: {e}"))?;
    match reader.format() {
        Some(ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::Gif) => {}
        Some(other) => return Err(format!("{other:?} images have no thumbnails here")),
        None => return Err("not a PNG, JPEG or GIF image".into()),
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let image = reader
        .decode()
        .map_err(|e| format!("cannot decode the image: {e}"))?;
    let mut out = Vec::new();
    DynamicImage::ImageRgba8(fit(&image))
        .to_rgb8()
        .write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(
            &mut out,
            JPEG_QUALITY,
        ))
        .map_err(|e| format!("cannot encode the thumbnail: {e}"))?;
    Ok(out)
}

/// Fills 180×120 (scaled and cropped) when the image is at least that big; otherwise
/// scales it down to fit if needed and centres it on white.
fn fit(image: &DynamicImage) -> RgbaImage {
    if image.width() >= WIDTH && image.height() >= HEIGHT {
        return image
            .resize_to_fill(WIDTH, HEIGHT, FilterType::Triangle)
            .to_rgba8();
    }
    let small = if image.width() > WIDTH || image.height() > HEIGHT {
        image.resize(WIDTH, HEIGHT, FilterType::Triangle)
    } else {
        image.clone()
    };
    let mut canvas = RgbaImage::from_pixel(WIDTH, HEIGHT, Rgba([255, 255, 255, 255]));
    let x = i64::from((WIDTH - small.width().min(WIDTH)) / 2);
    let y = i64::from((HEIGHT - small.height().min(HEIGHT)) / 2);
    image::imageops::overlay(&mut canvas, &small.to_rgba8(), x, y);
    canvas
}

/// `GET /api/v1/message/{ID}/part/{PartID}/thumb`.
pub(crate) async fn thumb(
    State(s): State<AppState>,
    Path((id, part_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let entry = crate::http::entry(&s, &id)?;
    let raw = s.store.raw(&entry).await?;
    let (content_type, _, bytes) =
        crate::parse::part(&raw, &part_id).ok_or(ApiError::NotFound("part"))?;
    if !content_type.starts_with("image/") {
        return Err(ApiError::BadRequest(format!(
            "part {part_id} is {content_type}, not an image"
        )));
    }
    let jpeg = {
        let _slot = DECODES
            .acquire()
            .await
            .map_err(|e| ApiError::Internal(e.into()))?;
        tokio::task::spawn_blocking(move || thumbnail(&bytes))
            .await
            .unwrap_or_else(|_| Err("cannot decode the image".into()))
            .map_err(ApiError::BadRequest)?
    };
    // A message's parts never change: the browser may keep the thumbnail.
    Ok((
        [
            (header::CONTENT_TYPE, "image/jpeg"),
            (header::CACHE_CONTROL, "private, max-age=86400"),
        ],
        jpeg,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = RgbaImage::from_pixel(w, h, Rgba([200, 10, 10, 255]));
        let mut out = Vec::new();
        DynamicImage::ImageRgba8(img)
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    fn size_of(jpeg: &[u8]) -> (u32, u32) {
        let img = image::load_from_memory_with_format(jpeg, ImageFormat::Jpeg).unwrap();
        (img.width(), img.height())
    }

    #[test]
    fn big_small_and_odd_images_all_become_180_by_120() {
        for (w, h) in [(1000, 300), (300, 1000), (20, 10), (1, 500), (180, 120)] {
            assert_eq!(
                size_of(&thumbnail(&png(w, h)).unwrap()),
                (180, 120),
                "{w}x{h}"
            );
        }
    }

    #[test]
    fn a_small_image_is_centred_on_white() {
        let img = image::load_from_memory(&thumbnail(&png(20, 10)).unwrap()).unwrap();
        let corner = img.to_rgb8().get_pixel(0, 0).0;
        assert!(corner.iter().all(|c| *c > 240), "{corner:?}");
        let centre = img.to_rgb8().get_pixel(90, 60).0;
        assert!(centre[0] > 150 && centre[1] < 80, "{centre:?}");
    }

    #[test]
    fn corrupt_truncated_and_foreign_bytes_are_refused_not_panicked_on() {
        let good = png(300, 200);
        assert!(thumbnail(&good[..good.len() / 2]).is_err());
        assert!(thumbnail(b"\x89PNG\r\n\x1a\nthis is not a png").is_err());
        assert!(thumbnail(b"plain text").is_err());
        assert!(thumbnail(b"").is_err());
        // BMP is recognised but not decoded here.
        assert!(thumbnail(b"BM\0\0\0\0\0\0\0\0").is_err());
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn an_image_claiming_huge_dimensions_is_refused() {
        // A valid PNG header (checksum included) saying 100000×100000.
        let mut bytes = png(1, 1);
        bytes[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        bytes[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        let crc = crc32(&bytes[12..29]);
        bytes[29..33].copy_from_slice(&crc.to_be_bytes());
        let err = thumbnail(&bytes).unwrap_err();
        assert!(err.contains("cannot decode"), "{err}");
    }
}
