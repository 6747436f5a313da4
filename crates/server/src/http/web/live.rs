//! Live pages (`GET /live?topics=…`): a server-sent event stream telling a page that what
//! it shows changed, so `static/live.js` fetches it again and swaps its content in place.
//! The events carry no data of their own (only the topic's name), and the page they make
//! the browser fetch checks access as always; the pages work the same without JavaScript.
//!
//! Topics: `partners` (admins), `contacts` (everyone who sees Contacts), `proof:<id>`
//! (anyone who may view the proof). A topic the caller may not follow is left out.

use super::Signed;
use crate::state::AppState;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use coproof_store::items::proofs;
use coproof_store::live::Change;
use futures_util::stream::{self, Stream};
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

/// Topics one stream follows at most.
const MAX_TOPICS: usize = 4;

/// What one stream follows: the caller's account, and topics it may follow.
struct Following {
    account_id: String,
    topics: Vec<String>,
}

impl Following {
    fn wants(&self, change: &Change) -> bool {
        if change.topic == "*" {
            return true;
        }
        self.topics.contains(&change.topic)
            && (change.topic.starts_with("proof:") || change.account_id == self.account_id)
    }
}

pub async fn stream(State(state): State<AppState>, Signed { req, me }: Signed) -> Response {
    let asked = req.query.get("topics").cloned().unwrap_or_default();
    let mut topics = Vec::new();
    for topic in asked.split(',').filter(|t| !t.is_empty()).take(MAX_TOPICS) {
        let allowed = match topic {
            "partners" => me.profile.is_admin(),
            "contacts" => me.profile.sees_contacts(),
            _ => match topic.strip_prefix("proof:") {
                Some(id) => proofs::get(&state.store, &me, id).await.is_ok(),
                None => false,
            },
        };
        if allowed {
            topics.push(topic.to_string());
        }
    }
    let following = Following {
        account_id: me.account_id.clone(),
        topics,
    };
    let changes = state.store.live().await;
    Sse::new(events(following, changes))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

fn events(
    following: Following,
    changes: tokio::sync::broadcast::Receiver<Change>,
) -> impl Stream<Item = Result<Event, Infallible>> {
    stream::unfold(
        (following, changes),
        |(following, mut changes)| async move {
            loop {
                let topic = match changes.recv().await {
                    Ok(change) if following.wants(&change) => change.topic,
                    Ok(_) => continue,
                    // Fell behind: something may have been missed, so refresh.
                    Err(RecvError::Lagged(_)) => "*".to_string(),
                    Err(RecvError::Closed) => return None,
                };
                let event = Event::default().event("changed").data(topic);
                return Some((Ok(event), (following, changes)));
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_hears_its_own_accounts_topics_and_the_proofs_it_follows() {
        let f = Following {
            account_id: "a".into(),
            topics: vec!["partners".into(), "proof:p1".into()],
        };
        assert!(f.wants(&Change::partners("a")));
        assert!(!f.wants(&Change::partners("b")), "another account's tab");
        assert!(!f.wants(&Change::contacts("a")), "not followed");
        assert!(
            f.wants(&Change::proof("b", "p1")),
            "a proof of another account"
        );
        assert!(!f.wants(&Change::proof("a", "p2")));
        assert!(f.wants(&Change::new("", "*")));
    }
}
