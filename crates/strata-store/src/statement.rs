//! SQL text helpers: numbered placeholders, and their cheapest form on each backend.

use crate::BackendKind;

/// SQL for the backend: on SQLite, `$1 … $n` used once each and in order become anonymous `?`.
/// SQLite resolves a named parameter by walking a list (`sqlite3_bind_parameter_name`), which
/// makes wide multi-row statements quadratic; anonymous parameters cost nothing.
pub(crate) fn dialect(kind: BackendKind, sql: &str) -> std::borrow::Cow<'_, str> {
    if kind == BackendKind::Postgres {
        return std::borrow::Cow::Borrowed(sql);
    }
    let bytes = sql.as_bytes();
    let mut out = String::with_capacity(sql.len());
    let mut expected = 1usize;
    let mut i = 0;
    let mut last = 0;
    while i < bytes.len() {
        if bytes[i] == b'$' {
            let digits = bytes[i + 1..].iter().take_while(|b| b.is_ascii_digit()).count();
            if digits > 0 {
                let n: usize = sql[i + 1..i + 1 + digits].parse().unwrap_or(0);
                if n != expected {
                    return std::borrow::Cow::Borrowed(sql);
                }
                expected += 1;
                out.push_str(&sql[last..i]);
                out.push('?');
                i += 1 + digits;
                last = i;
                continue;
            }
        }
        i += 1;
    }
    out.push_str(&sql[last..]);
    std::borrow::Cow::Owned(out)
}

/// `$1, $2, …` placeholders for `n` values starting at `start`.
pub(crate) fn placeholders(start: usize, n: usize) -> String {
    (start..start + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_gets_anonymous_parameters_only_when_in_order() {
        assert_eq!(dialect(BackendKind::Sqlite, "INSERT INTO t VALUES ($1, $2), ($3, $4)"), "INSERT INTO t VALUES (?, ?), (?, ?)");
        assert_eq!(dialect(BackendKind::Sqlite, "SELECT $1 WHERE a = $1"), "SELECT $1 WHERE a = $1");
        assert_eq!(dialect(BackendKind::Sqlite, "SELECT $2, $1"), "SELECT $2, $1");
        assert_eq!(dialect(BackendKind::Postgres, "VALUES ($1, $2)"), "VALUES ($1, $2)");
        assert_eq!(dialect(BackendKind::Sqlite, "SELECT '$' || $1"), "SELECT '$' || ?");
    }
}
