//! The web UI, embedded at build time (build.rs bundles firmware/ui): `/` is the app, every
//! other file of the bundle is served by name. Bodies go out gzipped to browsers that accept
//! it, with an ETag for revalidation; a firmware update changes the ETag, so pages never mix
//! old and new files.

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// One file of the bundle.
pub struct Asset {
    pub path: &'static str,
    pub mime: &'static str,
    pub etag: &'static str,
    pub body: &'static [u8],
    pub gzip: &'static [u8],
}

include!(concat!(env!("OUT_DIR"), "/ui_assets.rs"));

/// The embedded files, sorted by name.
pub fn assets() -> &'static [Asset] {
    UI_ASSETS
}

/// What the page may load: only this server (the Socket.IO connection included); images also
/// from OpenStreetMap's tile servers, which the map uses only when the user turns online tiles on.
const CSP: &str = "default-src 'self'; img-src 'self' data: https://tile.openstreetmap.org; \
                   style-src 'self' 'unsafe-inline'; connect-src 'self' ws: wss:; \
                   object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

pub async fn index(headers: HeaderMap) -> Response {
    serve("index.html", &headers)
}

pub async fn file(Path(name): Path<String>, headers: HeaderMap) -> Response {
    serve(&name, &headers)
}

fn serve(name: &str, req: &HeaderMap) -> Response {
    let Ok(i) = UI_ASSETS.binary_search_by(|a| a.path.cmp(name)) else {
        return (StatusCode::NOT_FOUND, "not found\n").into_response();
    };
    let a = &UI_ASSETS[i];
    let mut h = HeaderMap::new();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(a.mime));
    h.insert(header::ETAG, HeaderValue::from_static(a.etag));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    let etag_matches = req
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == a.etag || t.trim() == "*"));
    if etag_matches {
        return (StatusCode::NOT_MODIFIED, h).into_response();
    }
    if accepts_gzip(req) {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        (h, a.gzip).into_response()
    } else {
        (h, a.body).into_response()
    }
}

/// Whether `Accept-Encoding` lists gzip with a non-zero quality.
fn accepts_gzip(req: &HeaderMap) -> bool {
    req.get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';');
            let name = parts.next().unwrap_or("").trim();
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            (name.eq_ignore_ascii_case("gzip") || name == "*") && q > 0.0
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(pairs: &[(header::HeaderName, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(k.clone(), HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn bundle_is_sorted_and_complete() {
        let names: Vec<&str> = assets().iter().map(|a| a.path).collect();
        assert!(names.windows(2).all(|w| w[0] < w[1]), "{names:?}");
        for needed in ["index.html", "app.js", "app.css", "basemap.json"] {
            assert!(names.contains(&needed), "{needed} missing from {names:?}");
        }
    }

    #[test]
    fn gzip_only_when_accepted() {
        assert!(accepts_gzip(&req(&[(
            header::ACCEPT_ENCODING,
            "gzip, deflate, br"
        )])));
        assert!(accepts_gzip(&req(&[(
            header::ACCEPT_ENCODING,
            "br;q=1.0, GZIP;q=0.5"
        )])));
        assert!(!accepts_gzip(&req(&[(
            header::ACCEPT_ENCODING,
            "gzip;q=0"
        )])));
        assert!(!accepts_gzip(&req(&[(
            header::ACCEPT_ENCODING,
            "identity"
        )])));
        assert!(!accepts_gzip(&req(&[])));
    }

    #[test]
    fn etag_revalidation_and_unknown_files() {
        let a = &assets()[0];
        let r = serve(a.path, &req(&[]));
        assert_eq!(r.status(), StatusCode::OK);
        let mut h = HeaderMap::new();
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static(a.etag));
        assert_eq!(serve(a.path, &h).status(), StatusCode::NOT_MODIFIED);
        assert_eq!(
            serve("../Cargo.toml", &req(&[])).status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(serve("", &req(&[])).status(), StatusCode::NOT_FOUND);
    }
}
