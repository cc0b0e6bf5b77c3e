"""Set one Data Action's timeout with the official Genesys Cloud Python SDK, correctly.

Usage: sdk_set_timeout.py BASE_URL ACTION_ID SECONDS
Credentials: GENESYSCLOUD_OAUTHCLIENT_ID / GENESYSCLOUD_OAUTHCLIENT_SECRET.

This is the benchmark's opponent for "set one action's timeout", written as an expert would
write it, not as a straw man:
1. log in with client credentials (the SDK derives the login host from the API host; with no
   `api.` prefix it is the same host);
2. read the action with `expand=contract&includeConfig=true`;
3. fetch the text of the templates the action references (both at once, on threads: the SDK's
   urllib3 pool keeps 4 connections alive and reuses them);
4. PATCH `{name, category, version, config}` with the full config, the template text inlined,
   the `*Uri` fields dropped and only `timeoutSeconds` changed (a PATCH replaces `config`, so a
   body without the template text would erase the templates);
5. verify: the PATCH response shows the new timeout and a higher version, and a re-read of the
   action and its templates (again all at once) shows every other field unchanged.

No needless calls: an action already at the target is not written. Exits 0 on success, 1 when
the verification fails, 2 on bad usage.
"""

import os
import sys
from concurrent.futures import ThreadPoolExecutor

import PureCloudPlatformClientV2 as gc

REQUEST_TEMPLATE = "requesttemplate.vm"
SUCCESS_TEMPLATE = "successtemplate.vm"


def file_name(uri, default):
    """The template file name at the end of a `*TemplateUri`."""
    return uri.rstrip("/").rsplit("/", 1)[-1] if uri else default


def read_with_templates(api, pool, action_id, known=None):
    """The action (config, contract) and the text of its templates, as (action, req, succ).

    With `known` (the pre-image), the templates it had are fetched together with the action,
    so that a verification read takes one round trip.
    """
    def template(name):
        return api.get_integrations_action_template(action_id, name)

    if known is not None:
        fa = pool.submit(
            api.get_integrations_action, action_id, expand="contract", include_config=True
        )
        fr = pool.submit(template, known[0]) if known[0] else None
        fs = pool.submit(template, known[1]) if known[1] else None
        action = fa.result()
        return action, fr.result() if fr else None, fs.result() if fs else None
    action = api.get_integrations_action(action_id, expand="contract", include_config=True)
    req_cfg = action.config.request if action.config else None
    resp_cfg = action.config.response if action.config else None
    fr = fs = None
    if req_cfg is not None and req_cfg.request_template is None and req_cfg.request_template_uri:
        fr = pool.submit(template, file_name(req_cfg.request_template_uri, REQUEST_TEMPLATE))
    if resp_cfg is not None and resp_cfg.success_template is None and resp_cfg.success_template_uri:
        fs = pool.submit(template, file_name(resp_cfg.success_template_uri, SUCCESS_TEMPLATE))
    req_text = fr.result() if fr else (req_cfg.request_template if req_cfg else None)
    succ_text = fs.result() if fs else (resp_cfg.success_template if resp_cfg else None)
    return action, req_text, succ_text


def inline(config, req_text, succ_text):
    """The config with the template text inlined and the URIs dropped (in place)."""
    if config.request is not None:
        config.request.request_template = req_text
        config.request.request_template_uri = None
    if config.response is not None:
        config.response.success_template = succ_text
        config.response.success_template_uri = None
    return config


def comparable(config):
    """The config as a dict without the timeout and the template fields."""
    d = config.to_dict() if config is not None else {}
    d.pop("timeout_seconds", None)
    for part, keys in (("request", ("request_template", "request_template_uri")),
                       ("response", ("success_template", "success_template_uri"))):
        if d.get(part):
            for k in keys:
                d[part].pop(k, None)
    return d


def main():
    if len(sys.argv) != 4:
        print(__doc__.splitlines()[2], file=sys.stderr)
        return 2
    base_url, action_id, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    gc.configuration.host = base_url
    api_client = gc.api_client.ApiClient().get_client_credentials_token(
        os.environ["GENESYSCLOUD_OAUTHCLIENT_ID"], os.environ["GENESYSCLOUD_OAUTHCLIENT_SECRET"]
    )
    api = gc.IntegrationsApi(api_client)
    with ThreadPoolExecutor(max_workers=3) as pool:
        action, req_text, succ_text = read_with_templates(api, pool, action_id)
        config = action.config
        old = config.timeout_seconds
        if old == seconds:
            print(f"{action.name}: already {seconds}")
            return 0
        before = comparable(config)
        inline(config, req_text, succ_text)
        config.timeout_seconds = seconds
        body = gc.UpdateActionInput()
        body.name = action.name
        body.category = action.category
        body.version = action.version
        body.config = config
        patched = api.patch_integrations_action(action_id, body)
        problems = []
        if patched.config.timeout_seconds != seconds:
            problems.append("the PATCH response does not show the new timeout")
        if not patched.version or patched.version <= action.version:
            problems.append("the version did not go up")
        names = (
            file_name(patched.config.request.request_template_uri, REQUEST_TEMPLATE)
            if req_text is not None else None,
            file_name(patched.config.response.success_template_uri, SUCCESS_TEMPLATE)
            if succ_text is not None else None,
        )
        fresh, fresh_req, fresh_succ = read_with_templates(api, pool, action_id, known=names)
    if fresh.config.timeout_seconds != seconds:
        problems.append("the re-read does not show the new timeout")
    if (fresh_req, fresh_succ) != (req_text, succ_text):
        problems.append("a template changed")
    if comparable(fresh.config) != before or (fresh.name, fresh.category) != (
        action.name, action.category
    ):
        problems.append("a field other than the timeout changed")
    if problems:
        print(f"error: {action.name}: " + "; ".join(problems), file=sys.stderr)
        return 1
    print(f"{action.name}: {old} -> {seconds} (version {action.version} -> {patched.version})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
