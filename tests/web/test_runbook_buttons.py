"""Run buttons on the incident page: a confirmation page showing the command, then the run
lands on the (live) timeline once a worker has carried it out."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.conftest import csrf_in, session_csrf
from tocsin.bootstrap import Tocsin
from tocsin.core.incident import Incident

BOOK = """\
# Checkout
```bash {name="Look at <checkout>"}
echo "checking $SERVICE"
```
```bash {kind=mitigation name=Scale}
echo "scaling to $COUNT"
```
"""


def write(tocsin: Tocsin) -> None:
    folder = tocsin.config_path.parent / "runbooks"
    folder.mkdir(exist_ok=True)
    (folder / "checkout.md").write_text(BOOK, encoding="utf-8")


def test_the_page_lists_steps_and_a_mitigation_asks_first_showing_the_command(
    tocsin: Tocsin, responder: TestClient, incident: Incident
) -> None:
    write(tocsin)
    html = responder.get(f"/incidents/{incident.id}").text
    assert 'id="runbooks-h"' in html
    assert "Look at &lt;checkout&gt;" in html
    step_url = f"/incidents/{incident.id}/runbooks/checkout/steps/2"
    assert f'href="{step_url}"' in html
    confirm = responder.get(step_url)
    assert confirm.status_code == 200
    assert "This step changes production" in confirm.text
    assert (
        "echo &#34;scaling to $COUNT&#34;" in confirm.text
        or 'echo "scaling to $COUNT"' in confirm.text
    )
    assert 'name="var_COUNT"' in confirm.text  # nobody supplies it: asked for
    assert "Yes, run this mitigation on" in confirm.text
    form = {"csrf": csrf_in(confirm.text), "confirm": "yes", "var_COUNT": "10; rm -rf /"}
    posted = responder.post(f"{step_url}/run", data=form, follow_redirects=False)
    assert posted.status_code == 303
    assert posted.headers["location"] == f"/incidents/{incident.id}?done=runbook#timeline-h"
    assert tocsin.job_runner.run_due("w") == 1
    page = responder.get(f"/incidents/{incident.id}").text
    assert "kind-command" in page
    assert "scaling to 10; rm -rf /" in page  # the value reached the command as data


def test_refusals_come_back_on_the_confirmation_page(
    tocsin: Tocsin, responder: TestClient, viewer: TestClient, incident: Incident
) -> None:
    write(tocsin)
    step_url = f"/incidents/{incident.id}/runbooks/checkout/steps/2"
    unconfirmed = responder.post(
        f"{step_url}/run", data={"csrf": session_csrf(responder), "var_COUNT": "3"}
    )
    assert unconfirmed.status_code == 409
    assert "is a mitigation" in unconfirmed.text
    missing = responder.post(f"{step_url}/run", data={"csrf": session_csrf(responder),
                                                      "confirm": "yes"})  # fmt: skip
    assert missing.status_code == 422
    assert "step 2 needs COUNT" in missing.text
    assert 'id="runbooks-h"' not in viewer.get(f"/incidents/{incident.id}").text
    refused = viewer.post(f"{step_url}/run", data={"csrf": session_csrf(viewer),
                                                   "confirm": "yes", "var_COUNT": "3"})  # fmt: skip
    assert refused.status_code == 403
    reasons = [r.detail["reason"] for r in tocsin.audit.records()]
    assert reasons == ["no confirmation", "viewer role"]
