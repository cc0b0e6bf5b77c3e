"""List every Data Action with its timeout, with the official Genesys Cloud Python SDK.

Usage: sdk_list.py BASE_URL
Credentials: GENESYSCLOUD_OAUTHCLIENT_ID / GENESYSCLOUD_OAUTHCLIENT_SECRET.

The benchmark's opponent for "list 5,000 actions with their timeouts", written as an expert
would: one login, page 1 of `GET /api/v2/integrations/actions` with `includeConfig=true` (and
`includeAuthActions=true`, as dactl lists them too) at pageSize 100, then the remaining pages
four at a time on threads (the SDK's urllib3 pool keeps 4 connections alive), every action
checked in (the listing's `total` must match), printed as CSV: name, category, effective
timeout, id.
"""

import csv
import os
import sys
from concurrent.futures import ThreadPoolExecutor

import PureCloudPlatformClientV2 as gc

PAGE_SIZE = 100
DEFAULT_TIMEOUT = 60


def main():
    if len(sys.argv) != 2:
        print(__doc__.splitlines()[2], file=sys.stderr)
        return 2
    gc.configuration.host = sys.argv[1]
    api_client = gc.api_client.ApiClient().get_client_credentials_token(
        os.environ["GENESYSCLOUD_OAUTHCLIENT_ID"], os.environ["GENESYSCLOUD_OAUTHCLIENT_SECRET"]
    )
    api = gc.IntegrationsApi(api_client)

    def page(n):
        return api.get_integrations_actions(
            page_size=PAGE_SIZE, page_number=n, include_config=True, include_auth_actions="true"
        )

    first = page(1)
    pages = [first]
    with ThreadPoolExecutor(max_workers=4) as pool:
        pages.extend(pool.map(page, range(2, (first.page_count or 1) + 1)))
    actions = {}
    for p in pages:
        for a in p.entities or []:
            actions[a.id] = a
    if len(actions) != first.total:
        print(f"error: listed {len(actions)} of {first.total} actions", file=sys.stderr)
        return 1
    out = csv.writer(sys.stdout)
    out.writerow(["NAME", "CATEGORY", "TIMEOUT", "ID"])
    for a in sorted(actions.values(), key=lambda a: (a.name.lower(), a.id)):
        t = a.config.timeout_seconds if a.config else None
        out.writerow([a.name, a.category, t if t is not None else f"{DEFAULT_TIMEOUT} (default)", a.id])
    return 0


if __name__ == "__main__":
    sys.exit(main())
