//! The alert rules' owner: the [`RuleStore`] lives on this task, and every change is
//! validated and written to disk here (on a blocking thread), never on the core's task. Only
//! after the file is safely written does the core get the new rules to evaluate; a change
//! that cannot be saved is refused with the reason and changes nothing.

use super::rule::{Rule, RuleSpec};
use super::store::{RuleStore, StoreError};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, watch};

type Reply<T> = oneshot::Sender<Result<T, StoreError>>;

/// A request of the rules' owner (from the API).
pub enum RuleCmd {
    List(oneshot::Sender<Vec<RuleSpec>>),
    Create(RuleSpec, Reply<RuleSpec>),
    Update(u64, RuleSpec, Reply<RuleSpec>),
    Delete(u64, Reply<()>),
    /// `None`: flip it.
    Toggle(u64, Option<bool>, Reply<RuleSpec>),
}

/// The compiled rules, as the core evaluates them.
pub type Rules = Arc<[Rule]>;

pub fn compiled(store: &RuleStore) -> Rules {
    store.rules().iter().cloned().collect()
}

/// Serves rule requests until every sender is gone or `stop` resolves (then the requests
/// already queued are still answered and saved, and no more are taken); after each saved
/// change, `publish` carries the new rules to the core.
pub async fn run(
    mut store: RuleStore,
    mut cmds: mpsc::Receiver<RuleCmd>,
    publish: watch::Sender<Rules>,
    stop: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(stop);
    let mut stopping = false;
    loop {
        let cmd = tokio::select! {
            cmd = cmds.recv() => cmd,
            _ = &mut stop, if !stopping => {
                stopping = true;
                cmds.close();
                continue;
            }
        };
        let Some(cmd) = cmd else { return };
        if let RuleCmd::List(reply) = cmd {
            let _ = reply.send(store.rules().iter().map(|r| r.spec.clone()).collect());
            continue;
        }
        // The write (and its fsyncs) happens on a blocking thread; the store comes back.
        let joined = tokio::task::spawn_blocking(move || {
            let changed = apply(&mut store, cmd);
            (store, changed)
        })
        .await;
        match joined {
            Ok((s, changed)) => {
                store = s;
                if changed {
                    publish.send_replace(compiled(&store));
                }
            }
            Err(e) => {
                // Only a panic in the store could get here; the store went with it.
                tracing::error!("the alert rules' store failed: {e}");
                return;
            }
        }
    }
}

/// Runs one change and answers it; true if the rules changed.
fn apply(store: &mut RuleStore, cmd: RuleCmd) -> bool {
    fn answer<T>(reply: Reply<T>, r: Result<T, StoreError>) -> bool {
        let ok = r.is_ok();
        // A dropped reply means the client went away; the change stands.
        let _ = reply.send(r);
        ok
    }
    match cmd {
        RuleCmd::List(reply) => {
            let _ = reply.send(store.rules().iter().map(|r| r.spec.clone()).collect());
            false
        }
        RuleCmd::Create(spec, reply) => answer(reply, store.create(spec)),
        RuleCmd::Update(id, spec, reply) => answer(reply, store.update(id, spec)),
        RuleCmd::Delete(id, reply) => answer(reply, store.delete(id)),
        RuleCmd::Toggle(id, enabled, reply) => {
            let enabled = enabled.unwrap_or_else(|| {
                !store
                    .rules()
                    .iter()
                    .any(|r| r.spec.id == id && r.spec.enabled)
            });
            answer(reply, store.toggle(id, enabled))
        }
    }
}
