"""Sign-in with GitHub and Google (seed 004, "Auth Model"): the authorization-code flow
with PKCE (S256) through Authlib's httpx client.

``start`` makes a random ``state`` and PKCE verifier, stores them (the state only as its
sha256, single use, 10 minutes) and answers the provider's authorize URL; the HTTP layer
also puts the state in a cookie, so a callback is accepted only in the browser that
started it (a forged or replayed state is refused). ``finish`` takes the state back,
exchanges the code with the verifier, reads the provider's user and links it:

1. an identity already linked (provider + subject) signs its user in;
2. a sign-in started by a signed-in user links the identity to that user;
3. else an account with the same email, when the provider says the email is verified,
   is linked; an unverified password account found that way loses its password (whoever
   set it did not prove the mailbox; the provider just did);
4. else a new member user and account (verified, no password) are made.

The session is a core API key (as email sign-in's), turned into the studio's cookie by
the HTTP layer."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from authlib.integrations.httpx_client import AsyncOAuth2Client
from sqlalchemy import delete, select

from reelforge.apps.assets.tables import AccountRow, OAuthIdentityRow, OAuthStateRow
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.identity import Role
from reelforge.domain.ids import new_id
from reelforge.storage import identity
from reelforge.storage.db import Database
from reelforge.storage.tables import utcnow

STATE_MINUTES = 10
SESSION_DAYS = 30


@dataclass(frozen=True)
class OAuthProvider:
    name: str  # github, google
    client_id: str
    client_secret: str
    authorize_url: str
    token_url: str
    userinfo_url: str
    scope: str
    emails_url: str | None = None  # GitHub: where verified emails are listed

    @property
    def label(self) -> str:
        return {"github": "GitHub", "google": "Google"}.get(self.name, self.name.title())


# The providers' real endpoints; settings can point them elsewhere (the emulator in tests).
_DEFAULTS: dict[str, dict[str, str]] = {
    "github": {
        "authorize_url": "https://github.com/login/oauth/authorize",
        "token_url": "https://github.com/login/oauth/access_token",
        "userinfo_url": "https://api.github.com/user",
        "emails_url": "https://api.github.com/user/emails",
        "scope": "read:user user:email",
    },
    "google": {
        "authorize_url": "https://accounts.google.com/o/oauth2/v2/auth",
        "token_url": "https://oauth2.googleapis.com/token",
        "userinfo_url": "https://openidconnect.googleapis.com/v1/userinfo",
        "scope": "openid email profile",
    },
}


def configured_providers(config: dict[str, dict[str, str]]) -> dict[str, OAuthProvider]:
    """The providers with a client id in ``settings.assets_oauth`` (others are not offered)."""
    out: dict[str, OAuthProvider] = {}
    for name, defaults in _DEFAULTS.items():
        given = config.get(name) or {}
        if not given.get("client_id"):
            continue
        merged = {**defaults, **given}
        out[name] = OAuthProvider(
            name=name,
            client_id=merged["client_id"],
            client_secret=merged.get("client_secret", ""),
            authorize_url=merged["authorize_url"],
            token_url=merged["token_url"],
            userinfo_url=merged["userinfo_url"],
            scope=merged["scope"],
            emails_url=merged.get("emails_url"),
        )
    return out


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _refused(message: str, **detail: Any) -> ReelForgeError:
    return ReelForgeError(
        ErrorCode.AUTH_FAILED,
        message,
        remediation=("Start the sign-in again from the studio's sign-in page.",),
        detail={"oauth": True, **detail},
    )


def safe_next(target: str | None) -> str:
    """Only a path on this server (never ``//evil.example`` or a full URL)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@dataclass(frozen=True)
class Finished:
    user_id: str
    session_token: str  # a core API key
    next_path: str
    created: bool  # a new user
    linked: str  # identity, current_user, email, new


class OAuthSignIn:
    """One provider set; ``transport`` lets tests route the server-side calls."""

    def __init__(
        self,
        db: Database,
        providers: dict[str, OAuthProvider],
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.db = db
        self.providers = providers
        self.transport = transport

    def provider(self, name: str) -> OAuthProvider:
        found = self.providers.get(name)
        if found is None:
            raise ReelForgeError(
                ErrorCode.NOT_FOUND,
                f"Sign-in with {name!r} is not configured here.",
                remediation=(
                    "Use email and password, or set REELFORGE_ASSETS_OAUTH with the "
                    "provider's client_id and client_secret.",
                ),
                detail={"provider": name, "configured": sorted(self.providers)},
            )
        return found

    def _client(self, p: OAuthProvider, redirect_uri: str) -> AsyncOAuth2Client:
        extra: dict[str, Any] = {"transport": self.transport} if self.transport else {}
        return AsyncOAuth2Client(
            client_id=p.client_id,
            client_secret=p.client_secret,
            scope=p.scope,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            timeout=15,
            **extra,
        )

    async def start(
        self,
        name: str,
        redirect_uri: str,
        *,
        next_path: str | None = None,
        link_user_id: str | None = None,
        login_hint: str | None = None,
    ) -> tuple[str, str]:
        """(the provider's authorize URL, the state: the caller binds it to the browser)."""
        p = self.provider(name)
        state = secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(64)  # 86 characters: within RFC 7636's 43..128
        extra = {"login_hint": login_hint} if login_hint else {}
        async with self._client(p, redirect_uri) as client:
            url, _state = client.create_authorization_url(
                p.authorize_url, state=state, code_verifier=verifier, **extra
            )
        now = utcnow()
        async with self.db.transaction() as session:
            # Sign-ins abandoned long ago are swept as new ones start.
            await session.execute(
                delete(OAuthStateRow).where(
                    OAuthStateRow.created_at < now - timedelta(minutes=STATE_MINUTES)
                )
            )
            session.add(
                OAuthStateRow(
                    state_hash=_digest(state),
                    provider=name,
                    code_verifier=verifier,
                    redirect_uri=redirect_uri,
                    next_path=safe_next(next_path),
                    link_user_id=link_user_id,
                    created_at=now,
                )
            )
        return url, state

    async def _take_state(self, name: str, state: str, bound: str | None) -> OAuthStateRow:
        if not state or bound is None or not secrets.compare_digest(state, bound):
            raise _refused("This sign-in did not start in this browser (the state differs).")
        async with self.db.transaction() as session:
            row = await session.get(OAuthStateRow, _digest(state))
            if row is not None:
                await session.delete(row)  # single use, whatever happens next
        if row is None or row.provider != name:
            raise _refused("This sign-in's state is unknown or was used already.")
        if row.created_at < utcnow() - timedelta(minutes=STATE_MINUTES):
            raise _refused("This sign-in took too long.", expired=True)
        return row

    async def finish(
        self, name: str, *, code: str, state: str, bound_state: str | None
    ) -> Finished:
        """Check the state (and that this browser started it), exchange the code with the
        PKCE verifier, read the user and sign them in (linking as the module says)."""
        p = self.provider(name)
        row = await self._take_state(name, state, bound_state)
        async with self._client(p, row.redirect_uri) as client:
            try:
                await client.fetch_token(p.token_url, code=code, code_verifier=row.code_verifier)
                profile = await _profile(client, p)
            except (httpx.HTTPError, ValueError, KeyError) as exc:
                raise _refused(f"{p.label} refused the sign-in: {exc}") from None
            except Exception as exc:  # Authlib's OAuthError and friends
                if type(exc).__module__.startswith("authlib"):
                    raise _refused(f"{p.label} refused the sign-in: {exc}") from None
                raise
        user_id, created, how = await self._link(name, profile, row.link_user_id)
        async with self.db.transaction() as session:
            _key, plain = await identity.create_api_key(
                session,
                user_id,
                f"asset studio session ({p.label})",
                expires_at=utcnow() + timedelta(days=SESSION_DAYS),
            )
        return Finished(user_id, plain, row.next_path, created, how)

    async def _link(
        self, name: str, profile: dict[str, Any], link_user_id: str | None
    ) -> tuple[str, bool, str]:
        subject, email = str(profile["subject"]), profile.get("email")
        verified = bool(profile.get("email_verified")) and bool(email)
        async with self.db.transaction() as session:
            linked = (
                await session.execute(
                    select(OAuthIdentityRow).where(
                        OAuthIdentityRow.provider == name, OAuthIdentityRow.subject == subject
                    )
                )
            ).scalar_one_or_none()
            if linked is not None:
                if link_user_id and linked.user_id != link_user_id:
                    raise ReelForgeError(
                        ErrorCode.CONFLICT,
                        f"This {name} account is linked to another user already.",
                        detail={"provider": name},
                    )
                return linked.user_id, False, "identity"
            created, how = False, "current_user"
            user_id = link_user_id
            if user_id is None and verified:
                account = (
                    await session.execute(
                        select(AccountRow).where(
                            AccountRow.email == identity.normalize_email(str(email))
                        )
                    )
                ).scalar_one_or_none()
                if account is not None:
                    if account.verified_at is None:
                        account.password_hash = None  # set by someone who never proved it
                        account.verified_at = utcnow()
                        account.verify_token_hash = None
                    user_id, how = account.user_id, "email"
            if user_id is None:
                user_id, created, how = await _new_user(session, profile, verified), True, "new"
            session.add(
                OAuthIdentityRow(
                    id=new_id("aoi"),
                    provider=name,
                    subject=subject,
                    user_id=user_id,
                    email=email,
                    created_at=utcnow(),
                )
            )
            return user_id, created, how


async def _new_user(session: Any, profile: dict[str, Any], verified: bool) -> str:
    email = identity.normalize_email(str(profile["email"])) if verified else None
    name = str(profile.get("name") or (email or "member").split("@")[0])[:100]
    if email is not None:
        try:  # a core user (made by an admin) may hold the address: then it stays off
            await identity.check_email_free(session, email)
        except ReelForgeError:
            email = None
    user = await identity.create_user(session, name, Role.MEMBER, email)
    if email is not None:
        session.add(
            AccountRow(
                id=new_id("acc"),
                user_id=user.id,
                email=email,
                password_hash=None,  # signs in through the provider (or a password reset)
                verified_at=utcnow(),
                created_at=utcnow(),
            )
        )
    return str(user.id)


async def _profile(client: AsyncOAuth2Client, p: OAuthProvider) -> dict[str, Any]:
    """subject, email, email_verified, name in one shape for both providers."""
    r = await client.get(p.userinfo_url)
    r.raise_for_status()
    data = r.json()
    if p.name == "google":  # OIDC userinfo
        return {
            "subject": data["sub"],
            "email": data.get("email"),
            "email_verified": data.get("email_verified") is True,
            "name": data.get("name"),
        }
    # GitHub: /user's email is whatever the user made public; trust only /user/emails.
    email, verified = data.get("email"), False
    if p.emails_url:
        er = await client.get(p.emails_url)
        if er.status_code == 200:
            for e in er.json():
                if e.get("primary") and e.get("verified"):
                    email, verified = e.get("email"), True
    return {
        "subject": str(data["id"]),
        "email": email,
        "email_verified": verified,
        "name": data.get("name") or data.get("login"),
    }
