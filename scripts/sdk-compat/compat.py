"""Drive a running emulator with the official Genesys Cloud Python SDK.

Usage: compat.py BASE_URL CLIENT_ID CLIENT_SECRET

Every call to the API goes through PureCloudPlatformClientV2 exactly as a Genesys developer
would make it: the configuration host is the emulator's base URL, and the SDK derives the login
URL from it (it replaces `//api.` by `//login.`, so a loopback URL is used as it is). Only the
ground truth that a check compares against (the stored template text) is read from the
emulator's loopback admin endpoint `/__emulator/state`, never through the SDK.

Prints one line per check, `ok   <check>` or `FAIL <check>: <why>`, and exits 1 when any check
failed (2 on bad usage). A failed check does not stop the later ones unless they need its
result.
"""

import json
import sys
import urllib.request

import PureCloudPlatformClientV2 as gc
from PureCloudPlatformClientV2.rest import ApiException

REQUEST_TEMPLATE = "requesttemplate.vm"
SUCCESS_TEMPLATE = "successtemplate.vm"


class CheckFailed(Exception):
    """A check's expectation did not hold."""


def expect(cond, why):
    if not cond:
        raise CheckFailed(why)


class Runner:
    """Runs checks in order and remembers whether any failed."""

    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, fn, *args):
        """Runs `fn(*args)`; prints its line; returns its result or None when it failed."""
        try:
            result = fn(*args)
        except CheckFailed as e:
            return self._fail(name, str(e))
        except ApiException as e:
            return self._fail(name, f"HTTP {e.status} {describe_error(e)}")
        except Exception as e:  # noqa: BLE001 - any SDK failure is a failed check
            return self._fail(name, f"{type(e).__name__}: {e}")
        self.passed += 1
        print(f"ok   {name}", flush=True)
        return result if result is not None else True

    def skip(self, name, why):
        self._fail(name, f"not run: {why}")

    def _fail(self, name, why):
        self.failed += 1
        print(f"FAIL {name}: {one_line(why)}", flush=True)
        return None


def one_line(text):
    text = " ".join(str(text).split())
    return text if len(text) <= 300 else text[:297] + "..."


def describe_error(e):
    """`code: message` of an ErrorBody, or the start of the raw body."""
    try:
        body = json.loads(e.body or "")
        if "error" in body and "code" not in body:  # an OAuth error
            return f"{body.get('error')}: {body.get('error_description')}"
        return f"{body.get('code')}: {body.get('message')}"
    except (ValueError, AttributeError):
        return (e.body or e.reason or "")[:120]


def error_body(e):
    try:
        return json.loads(e.body or "")
    except ValueError as err:
        raise CheckFailed(f"error body is not JSON: {(e.body or '')[:80]!r}") from err


def header(e, name):
    for k, v in (e.headers or {}).items():
        if k.lower() == name.lower():
            return v
    return None


def admin_state(base_url):
    """The emulator's stored state (templates as text), from its loopback admin endpoint."""
    with urllib.request.urlopen(f"{base_url}/__emulator/state", timeout=30) as resp:
        return json.loads(resp.read().decode("utf-8"))


def stored(state, action_id, key="actions"):
    for doc in state.get(key, []):
        if doc.get("id") == action_id:
            return doc
    raise CheckFailed(f"`{action_id}` is not in the emulator's state")


def stored_template(doc, file_name):
    config = doc.get("config") or {}
    if file_name == REQUEST_TEMPLATE:
        return (config.get("request") or {}).get("requestTemplate")
    return (config.get("response") or {}).get("successTemplate")


def is_writable(action_id):
    return not action_id.startswith("static") and not action_id.startswith("customAuth")


KNOWN_CONFIG = {"timeoutSeconds", "request", "response"}


def pick_targets(state, listed, with_draft):
    """Ids of writable actions without a draft whose config has both templates, non-ASCII
    template text first, in name order. Actions with config fields the SDK's models do not
    know are left out: the SDK drops such fields on a read-modify-write (dactl does not)."""

    def score(doc):
        texts = [stored_template(doc, f) or "" for f in (REQUEST_TEMPLATE, SUCCESS_TEMPLATE)]
        return (not any(ord(ch) > 127 for t in texts for ch in t), doc.get("name", ""))

    docs = [
        d
        for d in state.get("actions", [])
        if d.get("id") in listed
        and d.get("id") not in with_draft
        and is_writable(d.get("id", ""))
        and stored_template(d, REQUEST_TEMPLATE)
        and stored_template(d, SUCCESS_TEMPLATE)
        and set(d.get("config") or {}) <= KNOWN_CONFIG
    ]
    return [d["id"] for d in sorted(docs, key=score)]


# --- checks -----------------------------------------------------------------------------------


def login(api_client, client_id, client_secret):
    api_client.get_client_credentials_token(client_id, client_secret)
    expect(api_client.access_token, "no access token")


def list_all_with_config(api):
    """Pages through every published action with config, as a careful client does."""
    entities, page_number, page_count, total = [], 1, None, None
    while True:
        page = api.get_integrations_actions(
            page_size=25, page_number=page_number, include_config=True
        )
        expect(page.page_number == page_number, f"page {page_number} answered as {page.page_number}")
        if page_count is None:
            page_count, total = page.page_count, page.total
            expect(page_count and page_count > 1, f"expected several pages, got {page_count}")
        expect(page.total == total, f"total moved from {total} to {page.total} while paging")
        entities.extend(page.entities or [])
        if page_number >= page_count:
            expect(page.next_uri is None, "the last page has a nextUri")
            break
        expect(page.next_uri, f"page {page_number} of {page_count} has no nextUri")
        page_number += 1
    ids = [a.id for a in entities]
    expect(len(ids) == total, f"{len(ids)} actions over {page_count} pages, total says {total}")
    expect(len(set(ids)) == len(ids), "an action appears on two pages")
    expect(all(a.config is not None for a in entities), "an action came without config")
    with_uri = [a for a in entities if a.config.request and a.config.request.request_template_uri]
    expect(with_uri, "no action carries a requestTemplateUri")
    expect(
        all(a.config.request.request_template is None for a in with_uri),
        "template text came inline in a listing",
    )
    return entities


def get_with_contract(api, action_id):
    action = api.get_integrations_action(action_id, expand="contract", include_config=True)
    expect(action.id == action_id, f"asked for {action_id}, got {action.id}")
    expect(action.contract is not None, "no contract")
    expect(action.contract.input and action.contract.input.input_schema, "no input schema")
    expect(action.contract.output and action.contract.output.success_schema, "no success schema")
    expect(action.config and action.config.request, "no config.request")
    expect(isinstance(action.version, int) and action.version >= 1, f"version {action.version!r}")
    plain = api.get_integrations_action(action_id)
    expect(plain.contract is None, "contract returned without expand=contract")
    return action


def template_fetch(api, base_url, action_id):
    doc = stored(admin_state(base_url), action_id)
    for file_name in (REQUEST_TEMPLATE, SUCCESS_TEMPLATE):
        text = api.get_integrations_action_template(action_id, file_name)
        want = stored_template(doc, file_name)
        expect(isinstance(text, str), f"{file_name} is a {type(text).__name__}, not text")
        expect(text == want, f"{file_name} differs: got {text[:60]!r}, stored {want[:60]!r}")


def full_config(action, templates):
    """The action's config with the template text inlined in place of the URIs."""
    config = action.config
    if config.request:
        config.request.request_template = templates.get(REQUEST_TEMPLATE)
        config.request.request_template_uri = None
    if config.response:
        config.response.success_template = templates.get(SUCCESS_TEMPLATE)
        config.response.success_template_uri = None
    return config


def fetch_templates(fetch, action_id, action):
    """Template text of every template the action references by URI."""
    out = {}
    request, response = action.config.request, action.config.response
    if request and request.request_template_uri:
        out[REQUEST_TEMPLATE] = fetch(action_id, REQUEST_TEMPLATE)
    if response and response.success_template_uri:
        out[SUCCESS_TEMPLATE] = fetch(action_id, SUCCESS_TEMPLATE)
    return out


def new_timeout(current):
    return 17 if current != 17 else 18


def patch_full_config(api, base_url, action_id):
    """Reads, inlines the templates, changes only the timeout, PATCHes with the current version."""
    before = api.get_integrations_action(action_id, include_config=True)
    templates = fetch_templates(api.get_integrations_action_template, action_id, before)
    expect(templates, "the action has no templates to carry over")
    timeout = new_timeout(before.config.timeout_seconds)
    config = full_config(before, templates)
    config.timeout_seconds = timeout
    body = gc.UpdateActionInput()
    body.name, body.category, body.version, body.config = (
        before.name,
        before.category,
        before.version,
        config,
    )
    after = api.patch_integrations_action(action_id, body)
    expect(after.config.timeout_seconds == timeout, f"timeout {after.config.timeout_seconds}")
    expect(after.version > before.version, f"version {before.version} -> {after.version}")
    doc = stored(admin_state(base_url), action_id)
    for file_name, text in templates.items():
        expect(stored_template(doc, file_name) == text, f"{file_name} changed by the PATCH")
    got = api.get_integrations_action(action_id, include_config=True)
    expect(got.config.timeout_seconds == timeout, "the new timeout did not stick")
    expect(got.version == after.version, "a GET after the PATCH shows another version")
    return after


def draft_create(api, action_id):
    published = api.get_integrations_action(action_id)
    draft = api.post_integrations_action_draft(action_id)
    expect(draft.id == action_id, f"draft of {action_id} has id {draft.id}")
    expect(isinstance(draft.version, int) and draft.version >= 1, f"draft version {draft.version!r}")
    return published, api.get_integrations_action_draft(action_id, include_config=True)


def draft_patch(api, base_url, action_id, draft):
    templates = fetch_templates(api.get_integrations_action_draft_template, action_id, draft)
    timeout = new_timeout(draft.config.timeout_seconds)
    config = full_config(draft, templates)
    config.timeout_seconds = timeout
    body = gc.UpdateDraftInput()
    body.version, body.config = draft.version, config
    patched = api.patch_integrations_action_draft(action_id, body)
    expect(patched.config.timeout_seconds == timeout, f"timeout {patched.config.timeout_seconds}")
    expect(patched.version > draft.version, f"draft version {draft.version} -> {patched.version}")
    doc = stored(admin_state(base_url), action_id, "drafts")
    for file_name, text in templates.items():
        expect(stored_template(doc, file_name) == text, f"{file_name} changed by the PATCH")
    validation = api.get_integrations_action_draft_validation(action_id)
    expect(validation.valid is True, f"draft validation: {validation.errors}")
    return api.get_integrations_action_draft(action_id, include_config=True)


def draft_publish(api, action_id, published, draft):
    body = gc.PublishDraftInput()
    body.version = draft.version
    result = api.post_integrations_action_draft_publish(action_id, body)
    expect(result.version > published.version, f"version {published.version} -> {result.version}")
    now = api.get_integrations_action(action_id, include_config=True)
    expect(
        now.config.timeout_seconds == draft.config.timeout_seconds,
        f"published timeout {now.config.timeout_seconds}, draft had {draft.config.timeout_seconds}",
    )
    try:
        api.get_integrations_action_draft(action_id)
    except ApiException as e:
        expect(e.status == 404, f"after publish, draft GET gave {e.status}")
    else:
        raise CheckFailed("the draft is still there after publishing")


def not_found(api):
    try:
        api.get_integrations_action("00000000-0000-0000-0000-000000000000")
    except ApiException as e:
        expect(e.status == 404, f"status {e.status}")
        body = error_body(e)
        expect(body.get("code") == "not.found", f"code {body.get('code')!r}")
        expect(body.get("status") == 404, f"body status {body.get('status')!r}")
        cid = header(e, "ININ-Correlation-ID")
        expect(cid and body.get("contextId") == cid, "contextId does not repeat the correlation id")
        return
    raise CheckFailed("an unknown id was found")


def version_conflict(api, action_id):
    current = api.get_integrations_action(action_id, include_config=True)
    body = gc.UpdateActionInput()
    body.version, body.config = current.version - 1, current.config
    try:
        api.patch_integrations_action(action_id, body)
    except ApiException as e:
        expect(e.status == 409, f"status {e.status} ({describe_error(e)})")
        err = error_body(e)
        expect(err.get("code") == "request.conflict", f"code {err.get('code')!r}")
        after = api.get_integrations_action(action_id)
        expect(after.version == current.version, "a refused PATCH changed the version")
        return
    raise CheckFailed("a stale version was accepted")


def main(argv):
    if len(argv) != 4:
        print("usage: compat.py BASE_URL CLIENT_ID CLIENT_SECRET", file=sys.stderr)
        return 2
    base_url, client_id, client_secret = argv[1].rstrip("/"), argv[2], argv[3]

    configuration = gc.configuration
    configuration.host = base_url
    api_client = gc.api_client.ApiClient()
    api = gc.IntegrationsApi(api_client)
    run = Runner()

    if not run.check("client-credentials login", login, api_client, client_id, client_secret):
        run.skip("everything else", "no token")
        return finish(run)

    actions = run.check("paged list with config (includeConfig)", list_all_with_config, api)
    if actions is None:
        run.skip("the remaining checks", "no listing to pick actions from")
        return finish(run)
    drafts = api.get_integrations_actions_drafts(page_size=100).entities or []
    targets = pick_targets(admin_state(base_url), {a.id for a in actions}, {d.id for d in drafts})
    if len(targets) < 3:
        run.skip("the remaining checks", "fewer than 3 writable actions with both templates")
        return finish(run)
    patch_id, draft_id, conflict_id = targets[0], targets[1], targets[2]

    run.check("get with the contract (expand=contract)", get_with_contract, api, patch_id)
    run.check("template fetch (both templates, non-ASCII text)", template_fetch, api, base_url, patch_id)
    run.check(
        "patch (full config, templates inlined, current version)",
        patch_full_config,
        api,
        base_url,
        patch_id,
    )
    created = run.check("draft create", draft_create, api, draft_id)
    if created:
        published, draft = created
        patched = run.check("draft patch", draft_patch, api, base_url, draft_id, draft)
        if patched:
            run.check("draft publish", draft_publish, api, draft_id, published, patched)
        else:
            run.skip("draft publish", "the draft patch failed")
    else:
        run.skip("draft patch", "no draft")
        run.skip("draft publish", "no draft")
    run.check("404 on an unknown action", not_found, api)
    run.check("409 on a stale version", version_conflict, api, conflict_id)

    return finish(run)


def finish(run):
    print(f"{run.passed} passed, {run.failed} failed")
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
