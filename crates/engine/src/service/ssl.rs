//! TLS for version detection: OpenSSL as permissive as the system library allows (no certificate or
//! name verification, security level 0, every protocol version and cipher it still has), because the
//! point is to talk to whatever is there, not to trust it.

use std::pin::Pin;
use std::sync::OnceLock;
use std::time::Duration;

use openssl::ssl::{SslConnector, SslMethod, SslVerifyMode};
use tokio::net::TcpStream;
use tokio_openssl::SslStream;

fn connector() -> Result<&'static SslConnector, String> {
    static CONNECTOR: OnceLock<Result<SslConnector, String>> = OnceLock::new();
    CONNECTOR
        .get_or_init(|| {
            let build = || -> Result<SslConnector, openssl::error::ErrorStack> {
                let mut b = SslConnector::builder(SslMethod::tls())?;
                b.set_verify(SslVerifyMode::NONE);
                b.set_security_level(0);
                b.set_min_proto_version(None)?;
                b.set_max_proto_version(None)?;
                // Old servers only offer what modern defaults leave out.
                let _ = b.set_cipher_list("ALL:COMPLEMENTOFALL:@SECLEVEL=0");
                Ok(b.build())
            };
            build().map_err(|e| format!("cannot set up OpenSSL: {e}"))
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// Runs a TLS handshake on `tcp` within `limit`.
pub(crate) async fn wrap(tcp: TcpStream, limit: Duration) -> Result<SslStream<TcpStream>, String> {
    let conn = connector()?;
    let ssl = conn
        .configure()
        .map_err(|e| e.to_string())?
        .verify_hostname(false)
        .use_server_name_indication(false)
        .into_ssl("")
        .map_err(|e| e.to_string())?;
    let mut stream = SslStream::new(ssl, tcp).map_err(|e| e.to_string())?;
    match tokio::time::timeout(limit, Pin::new(&mut stream).connect()).await {
        Ok(Ok(())) => Ok(stream),
        Ok(Err(e)) => Err(format!("TLS handshake failed: {e}")),
        Err(_) => Err("TLS handshake timed out".into()),
    }
}
