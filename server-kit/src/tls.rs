//! HTTPS on localhost (`--tls` on both servers): on first start a local certificate
//! authority and a certificate for `localhost`, `127.0.0.1` and `::1` signed by it are made
//! (`rcgen`) and kept in one directory, beside the database by default; both servers load
//! the same pair and serve it with rustls.
//!
//! The directory holds `ca.pem` (the authority's certificate: what a browser or a client
//! library is told to trust), `localhost.pem` and `localhost-key.pem`. The authority's
//! private key is never written anywhere: once the localhost certificate is signed it is
//! dropped, so trusting `ca.pem` trusts that one certificate and nothing anyone could sign
//! later. When the certificate nears its end (or a file is missing) both are made anew, and
//! the authority must be trusted again; the log says so.

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// The certificate authority's file: what a client trusts.
pub const CA_FILE: &str = "ca.pem";
const CERT_FILE: &str = "localhost.pem";
const KEY_FILE: &str = "localhost-key.pem";

/// How long a new certificate is valid, and how old it may get before it is made anew.
const VALID_DAYS: u64 = 397;
const RENEW_AFTER_DAYS: u64 = 360;

/// The names the certificate is for: the loopback host under every name a browser or client
/// on this machine uses.
const NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// Why the local TLS material cannot be made or read.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot write the local certificate authority to {dir}: {source}")]
    Write { dir: String, source: io::Error },
    #[error("cannot read {path}: {why}; delete the directory and start again to make a new one")]
    Read { path: String, why: String },
    #[error("cannot make a certificate: {0}")]
    Generate(#[from] rcgen::Error),
}

/// The localhost certificate, ready to serve, and where its authority's certificate is.
#[derive(Debug, Clone)]
pub struct LocalTls {
    /// `ca.pem`: trust it in the browser (or `SSL_CERT_FILE`, `NODE_EXTRA_CA_CERTS`).
    pub ca_path: PathBuf,
    /// Its contents, for a server of the lab that calls another one.
    pub ca_pem: String,
    pub config: Arc<rustls::ServerConfig>,
}

/// Where the TLS files go by default: a `tls` directory beside the SQLite file of
/// `database_url`, or `data/tls` for any other database.
pub fn default_dir(database_url: &str) -> PathBuf {
    database_url
        .strip_prefix("sqlite://")
        .map(|file| file.split('?').next().unwrap_or(file))
        .and_then(|file| Path::new(file).parent())
        .map_or_else(|| PathBuf::from("data"), Path::to_path_buf)
        .join("tls")
}

impl LocalTls {
    /// Loads the certificate in `dir`, or makes the authority and the certificate there
    /// first. Two servers starting at once on the same directory end with the same pair:
    /// each makes its own in a directory of its own and renames it into place, and the one
    /// that finds the place taken reads what is there.
    pub fn load_or_create(dir: &Path) -> Result<Self, TlsError> {
        if !is_fresh(dir) {
            let write = |source: io::Error| TlsError::Write {
                dir: dir.display().to_string(),
                source,
            };
            let parent = dir.parent().unwrap_or(Path::new("."));
            std::fs::create_dir_all(parent).map_err(write)?;
            let staging = parent.join(format!(".tls-{}", staging_suffix()));
            create_private_dir(&staging).map_err(write)?;
            let placed = generate(&staging).map(|()| {
                // Another server may have placed a fresh pair meanwhile: then it stays.
                if is_fresh(dir) {
                    return false;
                }
                if dir.exists() {
                    // Stale or incomplete: replaced.
                    let _ = std::fs::remove_dir_all(dir);
                }
                std::fs::rename(&staging, dir).is_ok()
            });
            if !matches!(placed, Ok(true)) {
                let _ = std::fs::remove_dir_all(&staging);
            }
            if placed? {
                tracing::warn!(
                    "made a new local certificate authority for https on localhost; trust {} \
                     in your browser and clients (docs/https.md)",
                    dir.join(CA_FILE).display()
                );
            }
        }
        Self::load(dir)
    }

    fn load(dir: &Path) -> Result<Self, TlsError> {
        let read = |file: &str, why: String| TlsError::Read {
            path: dir.join(file).display().to_string(),
            why,
        };
        let certs: Vec<CertificateDer<'static>> =
            CertificateDer::pem_file_iter(dir.join(CERT_FILE))
                .and_then(Iterator::collect)
                .map_err(|e| read(CERT_FILE, e.to_string()))?;
        let key = PrivateKeyDer::from_pem_file(dir.join(KEY_FILE))
            .map_err(|e| read(KEY_FILE, e.to_string()))?;
        let ca_pem =
            std::fs::read_to_string(dir.join(CA_FILE)).map_err(|e| read(CA_FILE, e.to_string()))?;
        let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .and_then(|builder| builder.with_no_client_auth().with_single_cert(certs, key))
        .map_err(|e| read(CERT_FILE, e.to_string()))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self {
            ca_path: dir.join(CA_FILE),
            ca_pem,
            config: Arc::new(config),
        })
    }
}

/// A suffix no other process uses at the same time, for a staging directory.
fn staging_suffix() -> String {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{}-{nanos}", std::process::id())
}

/// Whether `dir` holds all three files and the certificate is younger than
/// [`RENEW_AFTER_DAYS`].
fn is_fresh(dir: &Path) -> bool {
    let renew_after = Duration::from_secs(RENEW_AFTER_DAYS * 86_400);
    [CA_FILE, CERT_FILE, KEY_FILE].iter().all(|file| {
        std::fs::metadata(dir.join(file))
            .and_then(|meta| meta.modified())
            .is_ok_and(|at| at.elapsed().is_ok_and(|age| age < renew_after))
    })
}

/// Makes the authority and the localhost certificate, and writes them into `dir`.
fn generate(dir: &Path) -> Result<(), TlsError> {
    let now = time::OffsetDateTime::now_utc();
    let valid_for = time::Duration::days(i64::try_from(VALID_DAYS).unwrap_or(397));

    let mut ca = CertificateParams::default();
    ca.distinguished_name
        .push(DnType::CommonName, "oauth-lab local CA (this machine only)");
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.not_before = now - time::Duration::days(1);
    ca.not_after = now + valid_for;
    let ca_key = KeyPair::generate()?;
    let ca_cert = ca.self_signed(&ca_key)?;

    let mut leaf = CertificateParams::new(NAMES.map(str::to_owned).to_vec())?;
    leaf.distinguished_name
        .push(DnType::CommonName, "localhost");
    leaf.is_ca = IsCa::NoCa;
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf.use_authority_key_identifier_extension = true;
    leaf.not_before = ca.not_before;
    leaf.not_after = ca.not_after;
    let leaf_key = KeyPair::generate()?;
    let leaf_cert = leaf.signed_by(&leaf_key, &Issuer::new(ca, ca_key))?;

    let write = |file: &str, contents: String, mode: u32| {
        create(&dir.join(file), contents.as_bytes(), mode).map_err(|source| TlsError::Write {
            dir: dir.display().to_string(),
            source,
        })
    };
    write(CA_FILE, ca_cert.pem(), 0o644)?;
    write(CERT_FILE, leaf_cert.pem(), 0o644)?;
    // The private key is readable by its owner only from the moment the file exists: made
    // with that mode, not changed to it after the key is in (another user could have opened
    // it in between).
    write(KEY_FILE, leaf_key.serialize_pem(), 0o600)?;
    Ok(())
}

/// Creates the new file `path` with `mode` (on Unix) and writes `contents` into it.
fn create(path: &Path, contents: &[u8], mode: u32) -> io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    options.open(path)?.write_all(contents)
}

/// Creates the staging directory, which only its owner may enter (on Unix).
fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// How long a client has to finish the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A TCP listener whose connections are TLS: accepted and shaken hands with in a task of
/// their own (a slow or hostile client cannot hold up the others), handed to axum once
/// the handshake succeeded. A failed handshake (a browser that does not trust the
/// authority yet, plain http on the https port) is logged and dropped.
#[derive(Debug)]
pub(crate) struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local_addr: SocketAddr,
}

impl TlsListener {
    pub(crate) fn new(listener: TcpListener, config: Arc<rustls::ServerConfig>) -> Self {
        let local_addr = listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)));
        let (sender, ready) = mpsc::channel(64);
        let acceptor = TlsAcceptor::from(config);
        tokio::spawn(async move {
            loop {
                let (tcp, peer) = match listener.accept().await {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        tracing::warn!(%error, "cannot accept a connection");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                if sender.is_closed() {
                    return;
                }
                let acceptor = acceptor.clone();
                let sender = sender.clone();
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                        Ok(Ok(stream)) => {
                            let _ = sender.send((stream, peer)).await;
                        }
                        Ok(Err(error)) => {
                            tracing::debug!(%peer, %error, "TLS handshake failed");
                        }
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                });
            }
        });
        Self { ready, local_addr }
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(accepted) => accepted,
            // The accepting task ended, which it does only when this listener is gone.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.local_addr)
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::{CA_FILE, CERT_FILE, KEY_FILE, LocalTls};

    #[test]
    fn the_private_key_and_its_directory_are_readable_by_their_owner_only() {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("tls");
        LocalTls::load_or_create(&dir).unwrap();
        let mode =
            |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700, "the directory");
        assert_eq!(mode(&dir.join(KEY_FILE)), 0o600, "the private key");
        assert!(dir.join(CERT_FILE).exists() && dir.join(CA_FILE).exists());
    }
}
