//! Durability: the real binary, killed with SIGKILL in the middle of a stream
//! of registrations and restarted on the same database, has every
//! registration it answered 200 — the account and its session.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use account_api::test_support::{TestDatabase, say};
use reqwest::Method;
use sea_orm::{ConnectionTrait, Database, EntityTrait, PaginatorTrait, Statement};

use crate::{helpers::PASSWORD, server_process::ServerProcess};

/// Clients streaming registrations at once.
const STREAMS: usize = 8;
/// Acknowledged registrations after which the server is killed.
const KILL_AFTER: usize = 150;

/// A registration the server answered 200.
struct Acknowledged {
    phone: String,
    user_id: String,
    token: String,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_registration_answered_before_a_sigkill_survives_the_restart() {
    let database = TestDatabase::create().await;
    let mut server = ServerProcess::start(database.url(), &[]).await;

    let acknowledged = Arc::new(Mutex::new(Vec::<Acknowledged>::new()));
    let unanswered = Arc::new(Mutex::new(Vec::<String>::new()));
    let killed = Arc::new(AtomicBool::new(false));
    let in_flight = Arc::new(AtomicUsize::new(0));
    let streams: Vec<_> = (0..STREAMS)
        .map(|stream| {
            let client = server.client();
            let acknowledged = Arc::clone(&acknowledged);
            let unanswered = Arc::clone(&unanswered);
            let killed = Arc::clone(&killed);
            let in_flight = Arc::clone(&in_flight);
            tokio::spawn(async move {
                for n in 0.. {
                    let phone = format!("15{stream}{n:08}");
                    let request = client.register_request(&phone, PASSWORD, "device");
                    in_flight.fetch_add(1, Ordering::SeqCst);
                    let answer = client.try_send(request).await;
                    in_flight.fetch_sub(1, Ordering::SeqCst);
                    match answer {
                        Ok(answer) if answer.code() == 200 => {
                            acknowledged.lock().unwrap().push(Acknowledged {
                                user_id: answer.data()["user_id"].as_str().unwrap().to_owned(),
                                token: answer.data()["token"].as_str().unwrap().to_owned(),
                                phone,
                            });
                        }
                        Ok(answer) => panic!("{phone} before the kill: {}", answer.text),
                        Err(_) => {
                            // No answer: the server is gone. This one may or may not be stored.
                            assert!(
                                killed.load(Ordering::SeqCst),
                                "{phone}: no answer from a live server"
                            );
                            unanswered.lock().unwrap().push(phone);
                            return;
                        }
                    }
                }
            })
        })
        .collect();

    let deadline = Instant::now() + Duration::from_secs(120);
    while acknowledged.lock().unwrap().len() < KILL_AFTER {
        assert!(Instant::now() < deadline, "the stream is too slow");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    killed.store(true, Ordering::SeqCst);
    let under_way = in_flight.load(Ordering::SeqCst);
    server.kill();
    for stream in streams {
        stream.await.expect("a stream ends without panicking");
    }
    let acknowledged = std::mem::take(&mut *acknowledged.lock().unwrap());
    let unanswered = std::mem::take(&mut *unanswered.lock().unwrap());
    assert!(
        under_way > 0,
        "no registration was under way when the server died"
    );

    let restarted = ServerProcess::start(database.url(), &[]).await;
    for registration in &acknowledged {
        let me = restarted
            .send_with_token(Method::GET, "/api/v4.0/me", &registration.token)
            .await;
        assert_eq!(
            me.code(),
            200,
            "{} was answered 200 before the kill but its session is gone: {}",
            registration.phone,
            me.text
        );
        assert_eq!(me.data()["user_id"], registration.user_id.as_str());
    }

    let db = Database::connect(database.url()).await.unwrap();
    let stored = entity::users::Entity::find().count(&db).await.unwrap() as usize;
    assert!(
        (acknowledged.len()..=acknowledged.len() + unanswered.len()).contains(&stored),
        "{stored} accounts stored for {} acknowledged and {} unanswered registrations",
        acknowledged.len(),
        unanswered.len()
    );
    if db.get_database_backend() == sea_orm::DatabaseBackend::Sqlite {
        let check = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "PRAGMA integrity_check",
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(check.try_get_by_index::<String>(0).unwrap(), "ok");
    }
    let _ = db.close().await;
    drop(restarted);

    say(&format!(
        "SIGKILL during registrations on {}: {} answered 200 before the kill, all present after \
         the restart; {under_way} under way at the kill, {} of them stored",
        database.backend().name(),
        acknowledged.len(),
        stored - acknowledged.len()
    ));
}
