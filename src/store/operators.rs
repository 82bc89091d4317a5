//! Platform operators and the Slack users they are.

use sqlx::FromRow;

use super::{AuditAction, Change, Store, StoreError, audit, now_ms};

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct Operator {
    pub operator_id: String,
    pub email: Option<String>,
    pub name: Option<String>,
    pub slack_user_id: Option<String>,
}

impl Store {
    /// Records an operator an event named (keeps an existing link).
    pub async fn note_operator(
        &self,
        team_id: &str,
        operator_id: &str,
        email: Option<&str>,
        name: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO operators (team_id, operator_id, email, name, slack_user_id, updated_at) \
             VALUES ($1, $2, $3, $4, NULL, $5) ON CONFLICT (team_id, operator_id) DO UPDATE SET \
             email = COALESCE(excluded.email, operators.email), \
             name = COALESCE(excluded.name, operators.name), updated_at = excluded.updated_at",
        )
        .bind(team_id)
        .bind(operator_id)
        .bind(email)
        .bind(name)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Links a Slack user to an operator nobody holds (and unlinks them from any other).
    /// False, with nothing changed, when someone else holds it: one conditional
    /// statement, so two people racing for the same operator cannot both win.
    pub async fn link_unheld_operator(
        &self,
        team_id: &str,
        operator_id: &str,
        slack_user_id: &str,
    ) -> Result<bool, StoreError> {
        let now = now_ms();
        let mut tx = self.begin().await?;
        sqlx::query(
            "UPDATE operators SET slack_user_id = NULL, updated_at = $1 \
             WHERE team_id = $2 AND slack_user_id = $3 AND operator_id <> $4",
        )
        .bind(now)
        .bind(team_id)
        .bind(slack_user_id)
        .bind(operator_id)
        .execute(&mut *tx)
        .await?;
        let linked = sqlx::query(
            "INSERT INTO operators (team_id, operator_id, email, name, slack_user_id, updated_at) \
             VALUES ($1, $2, NULL, NULL, $3, $4) ON CONFLICT (team_id, operator_id) DO UPDATE SET \
             slack_user_id = excluded.slack_user_id, updated_at = excluded.updated_at \
             WHERE operators.slack_user_id IS NULL \
             OR operators.slack_user_id = excluded.slack_user_id",
        )
        .bind(team_id)
        .bind(operator_id)
        .bind(slack_user_id)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if linked {
            tx.commit().await?;
        } else {
            tx.rollback().await?;
        }
        Ok(linked)
    }

    /// A Herald admin links `slack_user_id` to an operator, taking it from whoever held
    /// it; audited in the same transaction. Returns the previous holder, if any.
    pub async fn move_operator(
        &self,
        team_id: &str,
        operator_id: &str,
        slack_user_id: &str,
        actor: &str,
    ) -> Result<Option<String>, StoreError> {
        let now = now_ms();
        let mut tx = self.begin().await?;
        let previous: Option<Option<String>> = sqlx::query_scalar(
            "SELECT slack_user_id FROM operators WHERE team_id = $1 AND operator_id = $2",
        )
        .bind(team_id)
        .bind(operator_id)
        .fetch_optional(&mut *tx)
        .await?;
        let previous = previous.flatten();
        sqlx::query(
            "UPDATE operators SET slack_user_id = NULL, updated_at = $1 \
             WHERE team_id = $2 AND slack_user_id = $3 AND operator_id <> $4",
        )
        .bind(now)
        .bind(team_id)
        .bind(slack_user_id)
        .bind(operator_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO operators (team_id, operator_id, email, name, slack_user_id, updated_at) \
             VALUES ($1, $2, NULL, NULL, $3, $4) ON CONFLICT (team_id, operator_id) DO UPDATE SET \
             slack_user_id = excluded.slack_user_id, updated_at = excluded.updated_at",
        )
        .bind(team_id)
        .bind(operator_id)
        .bind(slack_user_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let json = |user: Option<&str>| {
            serde_json::json!({"operator": operator_id, "slack_user_id": user}).to_string()
        };
        audit::record(
            &mut tx,
            team_id,
            &Change {
                actor,
                action: AuditAction::OperatorLinked,
                before: Some(json(previous.as_deref())),
                after: Some(json(Some(slack_user_id))),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(previous)
    }

    pub async fn operator_of_user(
        &self,
        team_id: &str,
        slack_user_id: &str,
    ) -> Result<Option<Operator>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT operator_id, email, name, slack_user_id FROM operators \
             WHERE team_id = $1 AND slack_user_id = $2 LIMIT 1",
        )
        .bind(team_id)
        .bind(slack_user_id)
        .fetch_optional(self.pool())
        .await?)
    }

    /// An operator with this email (case-insensitive) not yet linked to someone else.
    pub async fn operator_by_email(
        &self,
        team_id: &str,
        email: &str,
    ) -> Result<Option<Operator>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT operator_id, email, name, slack_user_id FROM operators \
             WHERE team_id = $1 AND LOWER(email) = LOWER($2) LIMIT 1",
        )
        .bind(team_id)
        .bind(email)
        .fetch_optional(self.pool())
        .await?)
    }

    pub async fn operator(
        &self,
        team_id: &str,
        operator_id: &str,
    ) -> Result<Option<Operator>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT operator_id, email, name, slack_user_id FROM operators \
             WHERE team_id = $1 AND operator_id = $2",
        )
        .bind(team_id)
        .bind(operator_id)
        .fetch_optional(self.pool())
        .await?)
    }
}

impl Store {
    /// `/herald away` (true) or `/herald available` (false); true if it changed.
    pub async fn set_away(
        &self,
        team_id: &str,
        user: &str,
        away: bool,
    ) -> Result<bool, StoreError> {
        let before = self
            .away_users(team_id, &[user.to_string()])
            .await?
            .contains(user);
        sqlx::query(
            "INSERT INTO availability (team_id, slack_user_id, away, updated_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (team_id, slack_user_id) DO UPDATE SET \
             away = excluded.away, updated_at = excluded.updated_at",
        )
        .bind(team_id)
        .bind(user)
        .bind(i64::from(away))
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(before != away)
    }

    /// Which of these users are away.
    pub async fn away_users(
        &self,
        team_id: &str,
        users: &[String],
    ) -> Result<std::collections::HashSet<String>, StoreError> {
        if users.is_empty() {
            return Ok(std::collections::HashSet::new());
        }
        let away: Vec<String> = sqlx::query_scalar(
            "SELECT slack_user_id FROM availability WHERE team_id = $1 AND away = 1",
        )
        .bind(team_id)
        .fetch_all(self.pool())
        .await?;
        Ok(away.into_iter().filter(|u| users.contains(u)).collect())
    }
}

impl Store {
    /// `/herald dm on|off`: whether `user` gets a DM when a conversation is assigned to
    /// them; true if it changed.
    pub async fn set_assignment_dm(
        &self,
        team_id: &str,
        user: &str,
        on: bool,
    ) -> Result<bool, StoreError> {
        let _gate = self.write_gate().await;
        let mut tx = self.begin().await?;
        let before: Option<i64> = sqlx::query_scalar(
            "SELECT assignment_dm_off FROM person_settings \
             WHERE team_id = $1 AND slack_user_id = $2",
        )
        .bind(team_id)
        .bind(user)
        .fetch_optional(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO person_settings (team_id, slack_user_id, assignment_dm_off, updated_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (team_id, slack_user_id) DO UPDATE SET \
             assignment_dm_off = excluded.assignment_dm_off, updated_at = excluded.updated_at",
        )
        .bind(team_id)
        .bind(user)
        .bind(i64::from(!on))
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(before.unwrap_or(0) != i64::from(!on))
    }

    /// Whether `user` gets assignment DMs (on unless they turned them off).
    pub async fn assignment_dm_on(&self, team_id: &str, user: &str) -> Result<bool, StoreError> {
        let off: Option<i64> = sqlx::query_scalar(
            "SELECT assignment_dm_off FROM person_settings \
             WHERE team_id = $1 AND slack_user_id = $2",
        )
        .bind(team_id)
        .bind(user)
        .fetch_optional(self.pool())
        .await?;
        Ok(off.unwrap_or(0) == 0)
    }
}
