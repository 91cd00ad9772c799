"""Profile one endpoint in-process against the bench database (run `make bench` first):
python bench/profile.py /api/v1/promotions/123/ [requests]"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
os.environ.setdefault(
    "DATABASE_URL",
    os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ladder_bench"),
)


def main() -> None:
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.test import Client
    from pyinstrument import Profiler

    from accounts.services import token_issue

    path = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    token = token_issue(user=User.objects.filter(groups__name="Promotion committee").first())
    client = Client(HTTP_AUTHORIZATION=f"Token {token}", HTTP_HOST="127.0.0.1")
    client.get(path)
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(n):
        response = client.get(path)
    profiler.stop()
    assert response.status_code == 200, response.status_code
    print(profiler.output_text(unicode=False, color=False, show_all=False))


if __name__ == "__main__":
    main()
