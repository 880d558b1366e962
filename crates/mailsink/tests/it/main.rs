//! Integration tests: a real sink on 127.0.0.1:0, real TCP, SMTP and HTTP.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api;
mod checks;
mod codes;
mod contract;
mod events;
mod faults;
mod fixtures;
mod helpers;
mod hosts;
mod info;
mod npm;
mod persistence;
mod pop3;
mod readtags;
mod release;
mod robustness;
mod send;
mod sessions;
mod smtp;
mod swagger;
mod thumbs;
