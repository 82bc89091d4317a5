//! The connection hot writes go through.
//!
//! SQLite admits one writer at a time. The hot writers (ingest, job claims and outcomes)
//! take their turn in-process, on an async lock, instead of meeting `SQLITE_BUSY`, whose
//! handler sleeps 1, 2, 5, 10… ms: the tail of the ack latency. The lock also owns the
//! one connection they write through, kept for the process's life. In WAL mode a
//! connection drops its whole page cache whenever another connection committed since its
//! last transaction, so writes spread over a pool start every transaction from cold,
//! reading the B-tree pages of every index again; writes that share one connection find
//! them cached. On PostgreSQL, whose writers do not exclude each other, each write takes
//! a pooled connection.

use std::ops::{Deref, DerefMut};

use sqlx::AnyConnection;
use sqlx::pool::PoolConnection;
use tokio::sync::{Mutex, MutexGuard};

use super::{Backend, Store, StoreError};

/// SQLite's writer connection, once the first write opened it.
pub(super) type Shared = std::sync::Arc<Mutex<Option<PoolConnection<sqlx::Any>>>>;

/// A write's turn and its connection ([`Store::writer`]).
pub struct Writer<'a> {
    conn: Turn<'a>,
}

enum Turn<'a> {
    Shared(MutexGuard<'a, Option<PoolConnection<sqlx::Any>>>),
    Pooled(PoolConnection<sqlx::Any>),
}

impl Store {
    /// Waits for the write turn and returns the connection to write on. Taken before any
    /// other connection is acquired and never while holding one, so a writer waiting
    /// here holds no pool slot the turn's holder may need. Begin a transaction on it
    /// with [`Writer::begin`].
    pub async fn writer(&self) -> Result<Writer<'_>, StoreError> {
        let conn = match self.backend {
            Backend::Sqlite => {
                let mut shared = self.writer.lock().await;
                if shared.is_none() {
                    *shared = Some(self.pool.acquire().await?);
                }
                Turn::Shared(shared)
            }
            Backend::Postgres => Turn::Pooled(self.pool.acquire().await?),
        };
        Ok(Writer { conn })
    }
}

impl Writer<'_> {
    /// A transaction on the writer's connection.
    pub async fn begin(&mut self) -> Result<super::Tx<'_>, StoreError> {
        Ok(sqlx::Connection::begin(&mut **self).await?)
    }

    /// Gives the connection back to the pool after a failure it may have caused (a
    /// broken connection); the next write opens another.
    pub fn discard(self) {
        if let Turn::Shared(mut shared) = self.conn {
            shared.take();
        }
    }
}

impl Deref for Writer<'_> {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        match &self.conn {
            Turn::Shared(shared) => shared.as_ref().expect("opened by Store::writer"),
            Turn::Pooled(conn) => conn,
        }
    }
}

impl DerefMut for Writer<'_> {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        match &mut self.conn {
            Turn::Shared(shared) => shared.as_mut().expect("opened by Store::writer"),
            Turn::Pooled(conn) => conn,
        }
    }
}
