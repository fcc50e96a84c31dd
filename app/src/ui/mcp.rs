//! Settings → Connected AI tools: the URL to give ChatGPT or Claude, each connection (a tool
//! the coach approved, or a personal access token) with when it connected, when it was last
//! used and how often, a Disconnect button that takes effect on its very next call, and the
//! form that makes a personal access token, shown once.

use crate::api::mcp::{list_mcp_connections, CreateMcpToken, RevokeMcpConnection};
use crate::domain::McpConnectionKind;
use crate::testids;
use crate::ui::auth::FormError;
use crate::ui::resource;
use crate::ui::{clock, error_text, loaded, when, DateStyle};
use leptos::prelude::*;

#[component]
pub fn ConnectedToolsCard() -> impl IntoView {
    let create = ServerAction::<CreateMcpToken>::new();
    let revoke = ServerAction::<RevokeMcpConnection>::new();
    let connections = resource(
        move || (create.version().get(), revoke.version().get()),
        |_| list_mcp_connections(),
    );
    let new_token = move || match create.value().get() {
        Some(Ok(created)) => Some(created.token),
        _ => None,
    };
    view! {
        <section class="card narrow" data-testid=testids::MCP_CARD>
            <h2>"Connected AI tools"</h2>
            <p class="muted">"Let ChatGPT, Claude or your own scripts read your workspace over MCP, to ask about your clients. They can read, never change anything, and never see clients you turned AI off for. Each read is in your access log, and your clients see what concerned them."</p>
            {loaded(connections, move |listed| view! {
                {(!listed.endpoint.is_empty()).then(|| view! {
                    <label>"MCP server URL (paste it into the tool's connector settings)"
                        <input readonly value=listed.endpoint.clone() data-testid=testids::MCP_ENDPOINT />
                    </label>
                })}
                {if listed.connections.is_empty() {
                    view! { <p class="muted">"Nothing is connected."</p> }.into_any()
                } else {
                    view! {
                        <table>
                            <thead><tr><th>"Name"</th><th>"Connected"</th><th>"Last used"</th><th>"Calls"</th><th></th></tr></thead>
                            <tbody>
                                {listed.connections.into_iter().map(|connection| {
                                    let id = connection.id.clone();
                                    let kind = match connection.kind {
                                        McpConnectionKind::Token => "personal access token",
                                        McpConnectionKind::Oauth => "connected tool",
                                    };
                                    view! {
                                        <tr data-testid=testids::MCP_CONNECTION_ROW>
                                            <td>{connection.name}" "<small class="muted">"("{kind}")"</small></td>
                                            <td>{when(&clock(), connection.connected_at, DateStyle::DayTime)}</td>
                                            <td>{match connection.last_used_at {
                                                Some(at) => when(&clock(), at, DateStyle::DayTime).into_any(),
                                                None => "never".into_any(),
                                            }}</td>
                                            <td>{connection.call_count}</td>
                                            <td>
                                                <ActionForm action=revoke>
                                                    <input type="hidden" name="connection_id" value=id />
                                                    <button type="submit" class="danger" data-testid=testids::MCP_DISCONNECT>"Disconnect"</button>
                                                </ActionForm>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()
                }}
            })}
            <h3>"Personal access token"</h3>
            <p class="muted">"For a script that sends it as a bearer token to the URL above. It is shown once."</p>
            <ActionForm action=create>
                <label>"Name"
                    <input name="name" required maxlength="60" placeholder="Weekly report script" data-testid=testids::MCP_TOKEN_NAME />
                </label>
                <button type="submit" disabled=move || create.pending().get() data-testid=testids::MCP_TOKEN_CREATE>"Create token"</button>
            </ActionForm>
            {move || new_token().map(|token| view! {
                <label>"Your new token: copy it now, it is not shown again"
                    <input readonly value=token data-testid=testids::MCP_NEW_TOKEN />
                </label>
            })}
            <FormError message=Signal::derive(move || error_text(create.value().get()).or_else(|| error_text(revoke.value().get()))) />
        </section>
    }
}
