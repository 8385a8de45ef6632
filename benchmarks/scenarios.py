"""The requests, and which variants face each one.

A scenario is one kind of request (an environ, built once) and the variants timed against it in the
same rounds. Its first variant is the floor (the application alone); ``overhead`` is always relative to
it. ``subject`` names the cors_wsgi variant the peers are compared with.

Three groups:

* ``trivial/...``: around :func:`~benchmarks.apps.trivial_app`, with the reference layers R0 and R1,
  cors_wsgi and wsgicors (the only peer that is plain WSGI);
* ``flask/...``: three identical Flask apps: bare, with cors_wsgi on ``wsgi_app``, with ``CORS(app)``;
* ``django/...``: a minimal Django app: bare, wrapped by cors_wsgi, with django-cors-headers.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Callable

from . import apps
from .apps import (
    ALLOWED_ORIGIN,
    COVERED_PATH,
    FUNCTION_ORIGIN,
    REJECTED_ORIGIN,
    UNCOVERED_PATH,
    Environ,
    Peers,
    WSGIApp,
)

NORMAL_ACRH = "content-type,x-requested-with"
"""What a browser sends for a page that set those two headers: lowercase, sorted, no spaces."""
ROTATING_ORIGINS = 10_000
KIB = 1024
INTERPRETED = "cors_wsgi[interpreted]"
FUNCTION_VARIANT = "cors_wsgi[+function]"
DROPIN = "flask+cors_wsgi.flask"


@dataclass
class Variant:
    name: str
    app: WSGIApp
    role: str
    """``floor``, ``R0``, ``R1``, ``subject`` (cors_wsgi), ``alt`` (cors_wsgi, another setup), ``peer``."""
    environs: list[Environ] | None = None
    """Overrides the scenario's request (e.g. a hostile header against the same app)."""
    expect_acao: bool | None = None
    """Overrides the scenario's expectation for this variant."""


@dataclass
class Scenario:
    name: str
    description: str
    environs: list[Environ]
    """Cycled through, one per request (one element except for the rotating-origin scenario)."""
    variants: list[Variant]
    subject: str
    expect_acao: bool
    """Whether a correct CORS answer carries Access-Control-Allow-Origin (checked once, before timing)."""
    notes: list[str] = field(default_factory=list)

    def variant(self, name: str) -> Variant | None:
        return next((variant for variant in self.variants if variant.name == name), None)

    def requests_for(self, variant: Variant) -> list[Environ]:
        return variant.environs if variant.environs is not None else self.environs


def environ(method: str = "GET", path: str = COVERED_PATH, **headers: str) -> Environ:
    """A request as a WSGI server would build it; ``headers`` use CGI names without ``HTTP_``.
    Shallow copies share ``wsgi.input``, which is harmless: no variant reads a body."""
    env: Environ = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "bench.test",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "bench.test",
        "HTTP_USER_AGENT": "Mozilla/5.0 (X11; Linux x86_64) benchmark",
        "HTTP_ACCEPT": "*/*",
        "HTTP_ACCEPT_ENCODING": "gzip, deflate, br",
        "HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, value in headers.items():
        env["HTTP_" + name.upper()] = value
    return env


def preflight(origin: str = ALLOWED_ORIGIN, acrh: str = NORMAL_ACRH) -> Environ:
    return environ(
        "OPTIONS",
        COVERED_PATH,
        ORIGIN=origin,
        ACCESS_CONTROL_REQUEST_METHOD="PUT",
        ACCESS_CONTROL_REQUEST_HEADERS=acrh,
    )


def hostile_acrh(size: int) -> str:
    """``size`` characters of short, valid, distinct header names: as many list elements as fit."""
    text = ",".join(f"x{i}" for i in range(size // 2))
    return text[:size]


def rotating_rejected() -> list[Environ]:
    """10 000 distinct rejected origins, generated before timing. A batch uses them in turn, so no cache
    smaller than the batch size can help (wsgicors keeps 200)."""
    return [environ(ORIGIN=f"https://evil{i}.example.net") for i in range(ROTATING_ORIGINS)]


# The scenario names, per group, so that --only can skip building (and importing) whole groups.
TRIVIAL = (
    "trivial/no-origin",
    "trivial/allowed",
    "trivial/rejected",
    "trivial/rotating-rejected",
    "trivial/uncovered",
    "trivial/preflight-allowed",
    "trivial/preflight-rejected",
    "trivial/1000-origins-allowed",
    "trivial/1000-origins-rejected",
    "trivial/1000-origins-preflight",
    "trivial/acrh-8k",
    "trivial/acrh-256k",
    "trivial/function-allowed",
    "trivial/function-rejected",
)
FRAMEWORK = ("no-origin", "allowed", "rejected", "uncovered", "preflight-allowed", "preflight-rejected")
FLASK = (
    *(f"flask/{name}" for name in FRAMEWORK),
    "flask-view/allowed",
    "flask-view/rejected",
    "flask-view/preflight-allowed",
)
DJANGO = tuple(f"django/{name}" for name in FRAMEWORK)
ALL = TRIVIAL + FLASK + DJANGO


def build(peers: Peers, wanted: Callable[[str], bool] = lambda name: True) -> list[Scenario]:
    """The scenarios whose names ``wanted`` accepts, with every available variant."""
    scenarios: list[Scenario] = []
    if any(wanted(name) for name in TRIVIAL):
        scenarios += _trivial(peers)
    if any(wanted(name) for name in FLASK):
        scenarios += _flask(peers)
    if any(wanted(name) for name in DJANGO):
        scenarios += _django(peers)
    return [scenario for scenario in scenarios if wanted(scenario.name)]


def _trivial(peers: Peers) -> list[Scenario]:
    app = apps.trivial_app
    floor = Variant("bare", app, "floor")
    r0 = Variant("R0", apps.Forward(app), "R0")
    r1 = Variant("R1", apps.AppendHeaders(app), "R1")
    subject = Variant("cors_wsgi", apps.cors_wsgi(app), "subject")
    many = Variant("cors_wsgi[1000 origins]", apps.cors_wsgi(app, apps.MANY_ORIGINS), "alt")
    # flask-cors' default, origins="*": every origin is checked for shape and reflected (no exact answer).
    star = Variant('cors_wsgi[origins="*"]', apps.cors_wsgi(app, ["*"]), "alt")
    # A function beside the listed origin: the listed origin must cost the same; the function one call.
    with_function = Variant(FUNCTION_VARIANT, apps.cors_wsgi_with_function(app), "alt")
    pure_app = apps.cors_wsgi_interpreted(app)
    pure = [] if pure_app is None else [Variant(INTERPRETED, pure_app, "alt")]
    module = peers.load("wsgicors")
    peer: list[Variant] = []
    peer_many: list[Variant] = []
    peer_rotating: list[Variant] = []
    if module is not None:
        peer = [Variant("wsgicors", apps.wsgicors(module, app), "peer")]
        peer_many = [Variant("wsgicors[1000 origins]", apps.wsgicors(module, app, apps.MANY_ORIGINS), "peer")]
        peer_rotating = [Variant("wsgicors", apps.wsgicors(module, app), "peer")]
    standard = [floor, r0, r1, subject, *pure, *peer]

    def scenario(
        name: str, description: str, env: Iterable[Environ], expect: bool, variants: list[Variant]
    ) -> Scenario:
        return Scenario(f"trivial/{name}", description, list(env), variants, "cors_wsgi", expect)

    scenarios = [
        scenario("no-origin", f"GET {COVERED_PATH}, no Origin", [environ()], False, standard),
        scenario(
            "allowed", "GET, allowed Origin", [environ(ORIGIN=ALLOWED_ORIGIN)], True, [*standard, star, with_function]
        ),
        scenario("rejected", "GET, rejected Origin", [environ(ORIGIN=REJECTED_ORIGIN)], False, standard),
        scenario(
            "rotating-rejected",
            f"GET, a different rejected Origin on every request ({ROTATING_ORIGINS} pre-generated)",
            rotating_rejected(),
            False,
            [floor, r0, r1, subject, *pure, *peer_rotating],
        ),
        scenario(
            "uncovered",
            f"GET {UNCOVERED_PATH} (not under resources=r'/api/*'), allowed Origin",
            [environ(path=UNCOVERED_PATH, ORIGIN=ALLOWED_ORIGIN)],
            False,
            [floor, r0, r1, subject, *pure],
        ),
        scenario("preflight-allowed", "OPTIONS preflight, allowed: PUT + 2 headers", [preflight()], True, standard),
        scenario(
            "preflight-rejected", "OPTIONS preflight, rejected Origin", [preflight(REJECTED_ORIGIN)], False, standard
        ),
        scenario(
            "1000-origins-allowed",
            "GET, allowed Origin; 1 exact origin vs 1000 (the allowed one listed last)",
            [environ(ORIGIN=ALLOWED_ORIGIN)],
            True,
            [floor, r1, subject, many, *peer_many],
        ),
        scenario(
            "1000-origins-rejected",
            "GET, rejected Origin; 1 exact origin vs 1000",
            [environ(ORIGIN=REJECTED_ORIGIN)],
            False,
            [floor, r1, subject, many, *peer_many],
        ),
        scenario(
            "1000-origins-preflight",
            "OPTIONS preflight, allowed; 1 exact origin vs 1000",
            [preflight()],
            True,
            [floor, subject, many, *peer_many],
        ),
    ]
    function_variants = [floor, r1, Variant(FUNCTION_VARIANT, with_function.app, "subject")]
    scenarios += [
        Scenario("trivial/function-allowed", "GET, an Origin only the function in origins allows",
                 [environ(ORIGIN=FUNCTION_ORIGIN)], function_variants, FUNCTION_VARIANT, True),
        Scenario("trivial/function-rejected", "GET, an Origin neither the list nor the function allows",
                 [environ(ORIGIN=REJECTED_ORIGIN)], function_variants, FUNCTION_VARIANT, False),
    ]  # fmt: skip
    for size in (8, 256):
        hostile = [preflight(acrh=hostile_acrh(size * KIB))]
        variants = [
            floor,
            Variant("cors_wsgi", subject.app, "subject", [preflight()], expect_acao=True),
            Variant(f"cors_wsgi[acrh {size} KiB]", subject.app, "alt", hostile, expect_acao=False),
        ]
        if peer:
            variants.append(Variant(f"wsgicors[acrh {size} KiB]", peer[0].app, "peer", hostile, expect_acao=False))
        scenarios.append(
            scenario(
                f"acrh-{size}k",
                f"OPTIONS preflight, allowed Origin: normal ACRH ({NORMAL_ACRH!r}) vs a hostile {size} KiB one",
                [preflight()],
                True,
                variants,
            )
        )
    for item in scenarios:
        if item.name == "trivial/uncovered":
            item.notes.append("wsgicors not measured: it has no path scoping, every path is covered")
        elif module is None:
            item.notes.append("wsgicors not measured (not installed)")
    return scenarios


def _framework_scenarios(
    group: str, floor: Variant, variants: list[Variant], subject: str, notes: list[str]
) -> list[Scenario]:
    requests = {
        "no-origin": ("GET, no Origin", environ(), False),
        "allowed": ("GET, allowed Origin", environ(ORIGIN=ALLOWED_ORIGIN), True),
        "rejected": ("GET, rejected Origin", environ(ORIGIN=REJECTED_ORIGIN), False),
        "uncovered": (
            f"GET {UNCOVERED_PATH}, allowed Origin",
            environ(path=UNCOVERED_PATH, ORIGIN=ALLOWED_ORIGIN),
            False,
        ),
        "preflight-allowed": ("OPTIONS preflight, allowed: PUT + 2 headers", preflight(), True),
        "preflight-rejected": ("OPTIONS preflight, rejected Origin", preflight(REJECTED_ORIGIN), False),
    }
    return [
        Scenario(f"{group}/{name}", description, [env], [floor, *variants], subject, expect, list(notes))
        for name, (description, env, expect) in requests.items()
    ]


def _flask(peers: Peers) -> list[Scenario]:
    flask = peers.load("flask")
    if flask is None:
        return []
    import cors_wsgi.flask as dropin

    variants = [
        Variant("flask+cors_wsgi", apps.flask_with_cors_wsgi(flask), "subject"),
        Variant(DROPIN, apps.flask_with_flask_cors(flask, dropin), "alt"),
    ]
    notes = []
    flask_cors = peers.load("flask_cors")
    if flask_cors is not None:
        variants.append(Variant("flask+flask-cors", apps.flask_with_flask_cors(flask, flask_cors), "peer"))
    else:
        notes.append("flask-cors not measured (not installed)")
    floor = Variant("flask", apps.flask_app(flask), "floor")
    scenarios = _framework_scenarios("flask", floor, variants, "flask+cors_wsgi", notes)
    # One view decorated with @cross_origin, by each library, against the same undecorated app.
    view_variants = [
        Variant("flask+@cross_origin(cors_wsgi.flask)", apps.flask_view_app(flask, dropin.cross_origin), "subject")
    ]
    if flask_cors is not None:
        view_variants.append(
            Variant("flask+@cross_origin(flask-cors)", apps.flask_view_app(flask, flask_cors.cross_origin), "peer")
        )
    view_floor = Variant("flask", apps.flask_view_app(flask), "floor")
    for name, (description, env, expect) in {
        "allowed": ("GET a decorated view, allowed Origin", environ(ORIGIN=ALLOWED_ORIGIN), True),
        "rejected": ("GET a decorated view, rejected Origin", environ(ORIGIN=REJECTED_ORIGIN), False),
        "preflight-allowed": ("OPTIONS preflight to a decorated view, allowed", preflight(), True),
    }.items():
        scenarios.append(
            Scenario(
                f"flask-view/{name}",
                description,
                [env],
                [view_floor, *view_variants],
                "flask+@cross_origin(cors_wsgi.flask)",
                expect,
                list(notes),
            )
        )
    return scenarios


def _django(peers: Peers) -> list[Scenario]:
    built = apps.django_apps(peers)
    if built is None:
        return []
    bare, with_corsheaders = built
    variants = [Variant("django+cors_wsgi", apps.cors_wsgi(bare), "subject")]
    notes = []
    if with_corsheaders is not None:
        variants.append(Variant("django+corsheaders", with_corsheaders, "peer"))
    else:
        notes.append("django-cors-headers not measured (not installed)")
    return _framework_scenarios("django", Variant("django", bare, "floor"), variants, "django+cors_wsgi", notes)
