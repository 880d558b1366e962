//! Thumbnails of image attachments: a 180×120 JPEG for an image, a 400 with the reason
//! for a part that is not an image or cannot be decoded, a 404 for no such part.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, Rgba, RgbaImage};
use lettre::message::header::ContentType;
use lettre::message::{Attachment, MultiPart, SinglePart};
use reqwest::StatusCode;

use crate::helpers::*;

fn png(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    DynamicImage::ImageRgba8(RgbaImage::from_pixel(w, h, Rgba([0, 120, 200, 255])))
        .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
        .unwrap();
    out
}

/// Status, `Content-Type` and `Cache-Control` (joined by a space), body.
async fn thumb(sink: &mailsink::SinkHandle, id: &str, part: &str) -> (StatusCode, String, Vec<u8>) {
    let resp = reqwest::get(format!(
        "{}/api/v1/message/{id}/part/{part}/thumb",
        sink.http_url()
    ))
    .await
    .unwrap();
    let status = resp.status();
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let ct = format!("{} {}", header("content-type"), header("cache-control"));
    (status, ct, resp.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn image_attachments_get_a_180_by_120_jpeg_and_other_parts_a_reason() {
    let sink = spawn_sink().await;
    let png_type = ContentType::parse("image/png").unwrap();
    let msg = lettre::Message::builder()
        .from("a@example.com".parse().unwrap())
        .to("thumbs@example.com".parse().unwrap())
        .subject("pictures")
        .multipart(
            MultiPart::mixed()
                .singlepart(SinglePart::plain("see attached".to_owned()))
                .singlepart(
                    Attachment::new("photo.png".into()).body(png(640, 480), png_type.clone()),
                )
                .singlepart(
                    Attachment::new("broken.png".into())
                        .body(b"\x89PNG\r\n\x1a\nbroken".to_vec(), png_type),
                )
                .singlepart(
                    Attachment::new("notes.txt".into())
                        .body(b"just text".to_vec(), ContentType::TEXT_PLAIN),
                ),
        )
        .unwrap();
    send_lettre(sink.smtp_addr(), msg).await;
    let msg = sink.wait_for("subject:pictures", WAIT).await.unwrap();
    let part = |name: &str| {
        msg.attachments
            .iter()
            .find(|a| a.file_name == name)
            .unwrap_or_else(|| panic!("{name} in {:?}", msg.attachments))
            .part_id
            .clone()
    };

    let (status, ct, body) = thumb(&sink, &msg.id, &part("photo.png")).await;
    // Parts never change: the browser may keep it.
    assert_eq!(
        (status, ct.as_str()),
        (StatusCode::OK, "image/jpeg private, max-age=86400")
    );
    let img = image::load_from_memory_with_format(&body, ImageFormat::Jpeg).unwrap();
    assert_eq!((img.width(), img.height()), (180, 120));

    let (status, _, body) = thumb(&sink, &msg.id, &part("broken.png")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8_lossy(&body).contains("cannot decode"));
    let (status, _, body) = thumb(&sink, &msg.id, &part("notes.txt")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8_lossy(&body).contains("not an image"));
    let (status, _, _) = thumb(&sink, &msg.id, "99").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = thumb(&sink, "no-such-id", "1").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    sink.shutdown().await;
}
