//! External AI tools connected over MCP (the Model Context Protocol): read-only access to one
//! coach's workspace, by a personal access token or (later) an OAuth connection.

use super::bounded_text;
use crate::AppError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How a tool connected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum McpConnectionKind {
    /// A personal access token the coach created in Settings, for a script.
    Token,
    /// A tool the coach approved on the consent page (OAuth).
    Oauth,
}

impl McpConnectionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Token => "token",
            Self::Oauth => "oauth",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "token" => Some(Self::Token),
            "oauth" => Some(Self::Oauth),
            _ => None,
        }
    }
}

/// One connection, as Settings → Connected AI tools lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct McpConnection {
    pub id: String,
    pub kind: McpConnectionKind,
    pub name: String,
    pub connected_at: i64,
    pub last_used_at: Option<i64>,
    pub call_count: i64,
}

/// Settings → Connected AI tools: the URL to give a tool, and the live connections.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct McpConnections {
    /// The MCP endpoint's URL, to paste into ChatGPT's or Claude's connector screen. Empty when
    /// connected tools are turned off on this server.
    pub endpoint: String,
    pub connections: Vec<McpConnection>,
}

/// A personal access token just created: the only time the token itself is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct NewMcpToken {
    pub connection: McpConnection,
    pub token: String,
}

/// The name a coach gives a personal access token ("Weekly report script"): one line, 1 to 60
/// characters.
pub fn mcp_token_name(raw: &str) -> Result<String, AppError> {
    bounded_text(raw, "Name", true, 60)
}

/// The prefix of every personal access token, so a leaked one is recognisable (secret scanners
/// look for such prefixes) and never mistaken for another kind of secret.
pub const MCP_TOKEN_PREFIX: &str = "coachroom_pat_";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_names_are_one_short_line() {
        assert_eq!(mcp_token_name("  Report script ").unwrap(), "Report script");
        assert!(mcp_token_name("").is_err());
        assert!(mcp_token_name(&"x".repeat(61)).is_err());
        assert!(mcp_token_name("a\nb").is_err());
    }
}
