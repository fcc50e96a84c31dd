"""Connects to Coachroom's /mcp the way a real MCP client does, with the Python MCP SDK from PyPI,
headless: discovery from the 401, dynamic client registration, PKCE, the consent page approved
with the coach's own session, the token exchange, `tools/list` and every tool; then a refresh
(the access token made to look expired) and a call after it.

Run by the integration test `oauth::the_python_sdk_connects_headless`, which seeds the workspace
and checks the access log afterwards:

    python oauth_flow.py BASE_URL COACH_EMAIL PASSWORD CLIENT_ID

It prints one JSON line (the tools it saw and what each returned) and exits non-zero with the
reason on anything unexpected.
"""

import asyncio
import json
import sys
import time
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlparse

import httpx2
from mcp import Client
from mcp.client.auth import AuthorizationCodeResult, OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken
from mcp.shared.exceptions import MCPError

REDIRECT_URI = "http://127.0.0.1:33418/callback"
TOOLS = {
    "find_clients": {},
    "client_profile": {"client_id": None},
    "check_ins": {"client_id": None},
    "progress": {"client_id": None, "metric": "weight"},
    "goals": {"client_id": None},
    "plans": {"client_id": None},
    "forms": {"client_id": None},
    "sessions": {"client_id": None},
    "notes_and_todos": {"client_id": None},
    "needs_attention": {},
}


def fail(why: str) -> None:
    print(f"FAILED: {why}", file=sys.stderr)
    sys.exit(1)


class MemoryStorage:
    """Where the SDK keeps its registration and tokens (a real client would use a file)."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client_info: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client_info

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client_info = client_info


class HiddenFields(HTMLParser):
    """The consent form's hidden inputs: the authorization request, sent back on approval."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "input" and attributes.get("type") == "hidden":
            self.fields[attributes["name"]] = attributes.get("value") or ""


class Coach:
    """The coach's browser: signs in, opens the consent page the SDK points at, approves."""

    def __init__(self, base: str, email: str, password: str) -> None:
        self.base = base
        self.email = email
        self.password = password
        self.authorization_url: str | None = None
        self.consent_pages = 0

    async def redirect_handler(self, authorization_url: str) -> None:
        self.authorization_url = authorization_url

    async def callback_handler(self) -> AuthorizationCodeResult:
        if not self.authorization_url:
            fail("the SDK did not send the coach anywhere")
        async with httpx2.AsyncClient(base_url=self.base, follow_redirects=False) as browser:
            signed_in = await browser.post(
                "/api/auth/login", data={"email": self.email, "password": self.password}
            )
            if signed_in.status_code != 200:
                fail(f"sign-in: {signed_in.status_code} {signed_in.text}")
            page = await browser.get(self.authorization_url)
            if page.status_code != 200:
                fail(f"consent page: {page.status_code} {page.text[:500]}")
            if "read-only access to your workspace" not in page.text:
                fail(f"the consent page does not say what is asked: {page.text[:500]}")
            self.consent_pages += 1
            form = HiddenFields()
            form.feed(page.text)
            approved = await browser.post(
                "/oauth/authorize",
                data={**form.fields, "decision": "approve"},
                headers={"Origin": self.base},
            )
            if approved.status_code not in (302, 303):
                fail(f"approval: {approved.status_code} {approved.text[:500]}")
        location = approved.headers["location"]
        if not location.startswith(REDIRECT_URI):
            fail(f"approval sent the browser to {location}")
        answer = {k: v[0] for k, v in parse_qs(urlparse(location).query).items()}
        if "code" not in answer:
            fail(f"no code in {location}")
        return AuthorizationCodeResult(
            code=answer["code"], state=answer.get("state"), iss=answer.get("iss")
        )


async def call_everything(http: httpx2.AsyncClient, mcp_url: str, client_id: str) -> dict:
    results: dict = {}
    async with Client(streamable_http_client(mcp_url, http_client=http), mode="legacy") as client:
        listed = await client.list_tools()
        names = sorted(tool.name for tool in listed.tools)
        if names != sorted(TOOLS):
            fail(f"tools/list gave {names}")
        for tool in listed.tools:
            if not (tool.annotations and tool.annotations.read_only_hint):
                fail(f"{tool.name} is not marked read-only")
        for name, template in TOOLS.items():
            arguments = {k: (client_id if v is None else v) for k, v in template.items()}
            result = await client.call_tool(name, arguments)
            if result.is_error:
                fail(f"{name}: {result.content}")
            if result.structured_content is None:
                fail(f"{name} returned no structured content")
            results[name] = result.structured_content
        try:
            await client.call_tool("delete_everything", {})
        except MCPError as error:
            if "not found" not in str(error):
                fail(f"an unknown tool gave {error}")
        else:
            fail("an unknown tool was not an error")
    return results


async def main() -> None:
    base, email, password, client_id = sys.argv[1:5]
    mcp_url = f"{base}/mcp"
    coach = Coach(base, email, password)
    storage = MemoryStorage()
    oauth = OAuthClientProvider(
        server_url=mcp_url,
        client_metadata=OAuthClientMetadata(
            client_name="Python SDK test",
            redirect_uris=[REDIRECT_URI],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
        ),
        storage=storage,
        redirect_handler=coach.redirect_handler,
        callback_handler=coach.callback_handler,
    )
    async with httpx2.AsyncClient(auth=oauth, timeout=30) as http:
        results = await call_everything(http, mcp_url, client_id)
        if coach.consent_pages != 1:
            fail(f"the coach was asked {coach.consent_pages} times")
        first = storage.tokens
        if first is None or not first.refresh_token:
            fail("no refresh token was issued")

        # An hour later: the SDK refreshes on its own, and the server rotates the pair.
        oauth.context.token_expiry_time = time.time() - 1
        await call_everything(http, mcp_url, client_id)
        second = storage.tokens
        if coach.consent_pages != 1:
            fail("a refresh asked the coach again")
        if second is None or second.access_token == first.access_token:
            fail("the access token was not refreshed")
        if second.refresh_token == first.refresh_token:
            fail("the refresh token was not rotated")

    print(
        json.dumps(
            {
                "client_id": storage.client_info.client_id if storage.client_info else None,
                "tools": sorted(results),
                "profile_name": results["client_profile"].get("name"),
                "found": [c["id"] for c in results["find_clients"].get("clients", [])],
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
