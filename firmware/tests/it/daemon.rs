//! The daemon in-process: `run(listener, config, shutdown)` on port 0, as the protocol
//! tests in tests/api drive the binary. Here: it serves, it stops when told, and a source
//! that cannot be opened is an error before anything listens.

use skyspy::config::{Config, SourceKind};
use skyspy::daemon::run;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

fn config(rules: &str) -> Config {
    let mut c = Config::default();
    c.source.kind = SourceKind::Simulator;
    c.simulator.aircraft = 5;
    c.alerts.rules_file =
        std::env::temp_dir().join(format!("skyspy-daemon-{}-{rules}.json", std::process::id()));
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_on_port_zero_and_stops_on_shutdown() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let daemon = tokio::spawn(run(listener, config("serve"), async {
        let _ = stopped.await;
    }));
    // Connections are accepted while it runs ...
    for _ in 0..3 {
        TcpStream::connect(addr).await.expect("daemon accepts");
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!daemon.is_finished());
    // ... and it returns promptly once shutdown resolves.
    stop.send(()).unwrap();
    let result = tokio::time::timeout(Duration::from_secs(5), daemon)
        .await
        .expect("stopped within 5 s")
        .unwrap();
    assert!(result.is_ok(), "{result:?}");
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "nothing listens after shutdown"
    );
}

#[tokio::test]
async fn a_replay_file_that_cannot_be_opened_is_an_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut c = config("missing");
    c.source.kind = SourceKind::Replay;
    c.source.file = Some("/nonexistent/capture.cu8".into());
    let err = run(listener, c, std::future::pending()).await.unwrap_err();
    assert!(
        err.to_string().contains("/nonexistent/capture.cu8"),
        "{err}"
    );
    assert!(matches!(err, skyspy::daemon::DaemonError::Source(_)));
    assert_eq!(skyspy::cli::CliError::from(err).exit_code(), 65);
}
