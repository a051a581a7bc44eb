"""PII scrubbing cost per attribute value, as ratios of trivial string work in the same run.

    .venv/bin/python bench/scrub.py [--values 100000] [--repeat 3] [--seed 1]

The mix imitates the string attributes of HTTP server spans from the clubs' apps (10 per span):
methods, routes, status codes, schemes, service names and user agents repeat massively;
url.path carries ids (many distinct values); client.address is an IP (a few thousand distinct);
one value in 50 is a log-like message, some with an e-mail, an IP, a token. Prints values/s
(best of ``--repeat`` passes) and ns/value for:

- dict.get:      one dict lookup per value (the floor of any memo), baseline;
- str.lower:     a C-level pass over each string;
- scrub (memo):  ``Scrubber.scrub_attribute`` in steady state (memo warm, the service's case);
- scrub (no memo): the same with the memo off: pre-filter + rules on every value;
then the same two scrubbers on single kinds of value, to show where time goes (long
multi-line texts are scrubbed line by line, so even with the memo "off" for the string itself,
the warm column shows repeated lines hitting the memo). The ingest
target is 50,000 spans/s with ~10 string attributes on one core, i.e. 500,000 values/s for
the whole pipeline: scrubbing must take a small share of the 2 µs per value.
"""

from __future__ import annotations

import argparse
import random
import time
from functools import partial

from timing import best_rate
from vigie.ingest.scrub import Scrubber

# CPU time of this process: pure CPU work, steadier than wall time on a shared machine.
cpu_rate = partial(best_rate, clock=time.process_time)

METHODS = ["GET"] * 8 + ["POST", "PUT", "DELETE"]
ROUTES = ["/", "/api/v1/clubs/{id}", "/api/v1/clubs/{id}/members", "/login", "/static/{path}"]
AGENTS = [
    "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 Safari/605.1.15",
    "curl/8.5.0",
    "kube-probe/1.31",
]
MESSAGES = [
    "Échec de connexion pour {user}@etsmtl.ca depuis 10.2.{a}.{b}",
    "GET /oauth/callback?state=xyz&access_token=ya29.{a}{b}",
    "flushed {a} rows in {b}ms",
    "request finished in {b}ms with status 200",
    "Authorization header missing for /api/v1/clubs/{a}",
]


def value_mix(count: int, seed: int) -> list[tuple[str, str]]:
    """``count`` (key, value) pairs: 10 attributes per span, in span order."""
    rnd = random.Random(seed)
    pairs: list[tuple[str, str]] = []
    while len(pairs) < count:
        route = rnd.choice(ROUTES)
        path = route.replace("{id}", str(rnd.randrange(5000))).replace("{path}", "app.js")
        pairs += [
            ("http.request.method", rnd.choice(METHODS)),
            ("http.route", route),
            ("url.path", path),
            ("http.response.status_code", rnd.choice(["200"] * 30 + ["404", "500", "302"])),
            ("url.scheme", "https"),
            ("server.address", f"club-{rnd.randrange(12)}.cedille.etsmtl.ca"),
            ("user_agent.original", rnd.choice(AGENTS)),
            ("client.address", f"10.{rnd.randrange(4)}.{rnd.randrange(30)}.{rnd.randrange(40)}"),
            ("network.protocol.version", "1.1"),
            ("service.name", f"site-web-{rnd.randrange(6)}"),
        ]
        if rnd.randrange(5) == 0:  # one value in 50: a log-like message
            user = rnd.choice(["marie.tremblay", "j.roy", "nadia.b"])
            pairs[-1] = (
                "message",
                rnd.choice(MESSAGES).format(user=user, a=rnd.randrange(256), b=rnd.randrange(999)),
            )
    return pairs[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--values", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    pairs = value_mix(args.values, args.seed)
    values = [value for _, value in pairs]
    lookup = {value: value for value in values}
    memo = Scrubber()
    no_memo = Scrubber(memo_entries=0)
    for key, value in pairs:  # steady state: the service has seen these values before
        memo.scrub_attribute(key, value)

    rates = {
        "dict.get": cpu_rate(len(values), args.repeat, lambda: [lookup.get(v) for v in values]),
        "str.lower": cpu_rate(len(values), args.repeat, lambda: [v.lower() for v in values]),
        "scrub (memo)": cpu_rate(
            len(pairs), args.repeat, lambda: [memo.scrub_attribute(k, v) for k, v in pairs]
        ),
        "scrub (no memo)": cpu_rate(
            len(pairs), args.repeat, lambda: [no_memo.scrub_attribute(k, v) for k, v in pairs]
        ),
    }
    base = rates["dict.get"]
    print(f"{len(values)} values ({len(set(values))} distinct), best of {args.repeat}")
    for name, rate in rates.items():
        print(
            f"  {name:<16} {rate:>12,.0f} values/s  {1e9 / rate:7.0f} ns/value  "
            f"x{base / rate:5.1f} dict.get"
        )

    print("by kind of value (scrub_text, memo off | memo warm):")
    samples = {
        "letters only ('GET')": "GET",
        "route": "/api/v1/clubs/{id}",
        "status code": "200",
        "IPv4": "10.2.3.4",
        "user agent": AGENTS[0],
        "log line with PII": MESSAGES[0].format(user="marie.tremblay", a=3, b=4),
        "4 KiB log line": "flushed rows in 12ms; " * 186,
        "4 KiB stack trace": "".join(
            f'  File "/app/vigie/module_{n % 7}.py", line {40 + n}, in handler_{n % 5}\n'
            for n in range(64)
        ),
    }
    for name, text in samples.items():
        batch = [text] * 2_000
        cold = cpu_rate(
            len(batch), args.repeat, lambda b=batch: [no_memo.scrub_text(t) for t in b]
        )
        memo.scrub_text(text)
        warm = cpu_rate(len(batch), args.repeat, lambda b=batch: [memo.scrub_text(t) for t in b])
        print(f"  {name:<22} {1e9 / cold:8.0f} ns | {1e9 / warm:5.0f} ns")


if __name__ == "__main__":
    main()
