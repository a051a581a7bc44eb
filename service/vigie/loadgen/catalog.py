"""The sample club apps the generator imitates: who they are, which routes they serve, how fast.

Plain data only. The apps and clubs match the sample SLO configuration shipped with Vigie
(algoets: site-web, api-concours; cedille: wiki, forge; sonia: portail), so generated telemetry
lands on objectives that exist.
"""

from __future__ import annotations

from dataclasses import dataclass

# The clubs are in Montréal: UTC-5 (UTC-4 in summer; an hour off half the year is fine for the
# daily shape of traffic and the time of day of past incidents).
MONTREAL_UTC_OFFSET_H = -5


@dataclass(frozen=True, slots=True)
class DbCall:
    """The one PostgreSQL query a route makes (parameterised, as an ORM would send it)."""

    operation: str
    collection: str
    query: str


@dataclass(frozen=True, slots=True)
class OutboundCall:
    """An HTTP call to another service, made by a share of the route's successful requests."""

    method: str
    url: str
    share: float


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    template: str
    weight: float
    median_ms: float
    # Shape of the log-normal latency: 0.4 is a tight static file, 0.9 a heavy query.
    sigma: float
    db: DbCall | None = None
    outbound: OutboundCall | None = None
    # (status, probability): answers that are the client's fault, hence not errors.
    client_errors: tuple[tuple[int, float], ...] = ()
    ok_status: int = 200
    # INFO log written on success, formatted with the path parameters (e.g. "{id}").
    info: str | None = None
    # Login routes: their 401 answers log the user's e-mail (the PII a receiver must scrub).
    login: bool = False


@dataclass(frozen=True, slots=True)
class App:
    club: str
    name: str
    version: str
    # Relative popularity: an app's share of the total request rate.
    weight: float
    routes: tuple[Route, ...]
    # Share of requests failing with a 500 outside any scenario: about a fifth of the error
    # budget of the app's sample objective, so that the incidents of the history show on it.
    error_rate: float = 0.001

    @property
    def key(self) -> str:
        return f"{self.club}/{self.name}"

    @property
    def host(self) -> str:
        return f"{self.name}.{self.club}.clubs.etsmtl.ca"

    def resource(self, version: str) -> dict[str, str]:
        """Resource attributes of one running version of the app."""
        return {
            "service.name": self.name,
            "service.namespace": self.club,
            "service.version": version,
            "deployment.environment.name": "prod",
            "k8s.namespace.name": self.club,
            "k8s.deployment.name": self.name,
            "club": self.club,
        }


def _static(weight: float) -> Route:
    return Route("GET", "/static/{path}", weight, median_ms=4, sigma=0.4)


def _login(weight: float) -> Route:
    return Route(
        "POST",
        "/login",
        weight,
        median_ms=120,
        sigma=0.5,
        db=DbCall("SELECT", "users", "SELECT id, password_hash FROM users WHERE email = $1"),
        client_errors=((401, 0.12),),
        login=True,
    )


SAMPLE_APPS: tuple[App, ...] = (
    App(
        "algoets",
        "site-web",
        "1.4.2",
        weight=1.0,
        error_rate=0.0002,
        routes=(
            Route(
                "GET",
                "/",
                5,
                median_ms=45,
                sigma=0.5,
                db=DbCall(
                    "SELECT",
                    "events",
                    "SELECT id, title, starts_at FROM events WHERE starts_at > $1 "
                    "ORDER BY starts_at LIMIT 10",
                ),
                outbound=OutboundCall(
                    "GET", "http://api-concours.algoets.svc:8080/api/v1/leaderboard", 0.2
                ),
            ),
            _static(6),
            Route(
                "GET",
                "/events/{id}",
                2,
                median_ms=60,
                sigma=0.5,
                db=DbCall("SELECT", "events", "SELECT * FROM events WHERE id = $1"),
                client_errors=((404, 0.03),),
            ),
            _login(0.5),
        ),
    ),
    App(
        "algoets",
        "api-concours",
        "2.1.0",
        weight=1.5,
        routes=(
            Route(
                "GET",
                "/api/v1/problems/{id}",
                5,
                median_ms=35,
                sigma=0.5,
                db=DbCall(
                    "SELECT", "problems", "SELECT id, title, statement FROM problems WHERE id = $1"
                ),
                client_errors=((404, 0.02),),
            ),
            Route(
                "POST",
                "/api/v1/submissions",
                2,
                # About 1 % above 300 ms: inside the sample "submission-latency" objective (95 %).
                median_ms=120,
                sigma=0.4,
                db=DbCall(
                    "INSERT",
                    "submissions",
                    "INSERT INTO submissions (team_id, problem_id, language, source) "
                    "VALUES ($1, $2, $3, $4) RETURNING id",
                ),
                outbound=OutboundCall("POST", "http://judge.algoets.svc:8000/run", 0.9),
                client_errors=((422, 0.04),),
                ok_status=202,
                info="submission {id} queued for judging",
            ),
            Route(
                "GET",
                "/api/v1/leaderboard",
                2,
                median_ms=90,
                sigma=0.6,
                db=DbCall(
                    "SELECT",
                    "submissions",
                    "SELECT team_id, sum(score) FROM submissions WHERE contest_id = $1 "
                    "GROUP BY team_id ORDER BY 2 DESC",
                ),
            ),
        ),
    ),
    App(
        "cedille",
        "wiki",
        "0.9.7",
        weight=0.8,
        error_rate=0.002,
        routes=(
            Route(
                "GET",
                "/wiki/{page}",
                6,
                median_ms=70,
                sigma=0.6,
                db=DbCall("SELECT", "pages", "SELECT body, updated_at FROM pages WHERE slug = $1"),
                client_errors=((404, 0.02),),
            ),
            _static(4),
            Route(
                "GET",
                "/search",
                1,
                median_ms=150,
                sigma=0.8,
                db=DbCall(
                    "SELECT",
                    "pages",
                    "SELECT slug, title FROM pages WHERE search_vector @@ "
                    "plainto_tsquery($1) LIMIT 20",
                ),
            ),
            Route(
                "POST",
                "/wiki/{page}/edit",
                0.4,
                median_ms=200,
                sigma=0.6,
                db=DbCall(
                    "UPDATE",
                    "pages",
                    "UPDATE pages SET body = $1, updated_at = now() WHERE slug = $2",
                ),
                client_errors=((403, 0.05),),
                info="page {page} edited",
            ),
        ),
    ),
    App(
        "cedille",
        "forge",
        "1.21.3",
        weight=0.7,
        error_rate=0.0002,
        routes=(
            Route(
                "GET",
                "/{owner}/{repo}",
                4,
                median_ms=120,
                sigma=0.7,
                db=DbCall(
                    "SELECT",
                    "repository",
                    "SELECT * FROM repository WHERE owner_name = $1 AND lower_name = $2",
                ),
                client_errors=((404, 0.04),),
            ),
            Route(
                "GET",
                "/api/v1/repos/{owner}/{repo}/commits",
                2,
                median_ms=250,
                sigma=0.9,
                db=DbCall(
                    "SELECT",
                    "commit_status",
                    "SELECT sha, state FROM commit_status WHERE repo_id = $1 "
                    "ORDER BY id DESC LIMIT 50",
                ),
            ),
            Route(
                "POST",
                "/api/v1/repos/{owner}/{repo}/issues",
                0.3,
                median_ms=160,
                sigma=0.6,
                db=DbCall(
                    "INSERT",
                    "issue",
                    "INSERT INTO issue (repo_id, poster_id, title, content) "
                    "VALUES ($1, $2, $3, $4)",
                ),
                client_errors=((422, 0.05),),
                ok_status=201,
                info="issue #{id} created in {owner}/{repo}",
            ),
        ),
    ),
    App(
        "sonia",
        "portail",
        "3.0.1",
        weight=0.6,
        routes=(
            Route(
                "GET",
                "/",
                4,
                median_ms=50,
                sigma=0.5,
                db=DbCall(
                    "SELECT",
                    "news",
                    "SELECT id, title FROM news ORDER BY published_at DESC LIMIT 5",
                ),
            ),
            Route(
                "GET",
                "/api/v1/members/{id}",
                2,
                median_ms=40,
                sigma=0.5,
                db=DbCall(
                    "SELECT", "members", "SELECT id, display_name, team FROM members WHERE id = $1"
                ),
                client_errors=((404, 0.03),),
            ),
            _login(0.8),
            _static(4),
        ),
    ),
)


def select_apps(keys: list[str] | None, apps: tuple[App, ...] = SAMPLE_APPS) -> tuple[App, ...]:
    """The apps named ``club/app`` (all when ``keys`` is empty); unknown names raise ValueError."""
    if not keys:
        return apps
    by_key = {a.key: a for a in apps}
    unknown = [k for k in keys if k not in by_key]
    if unknown:
        raise ValueError(f"unknown app {', '.join(unknown)}: choose among {', '.join(by_key)}")
    return tuple(by_key[k] for k in dict.fromkeys(keys))
