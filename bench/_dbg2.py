import common, sys, re
sys.path.insert(0, str(common.ROOT/'tests'/'browser'))
from common import ROOT, running, launch_chromium
from playwright.sync_api import sync_playwright, expect
from test_app_e2e import *
with running(ROOT/'app.py') as s, sync_playwright() as pw:
    b=launch_chromium(pw); page=b.new_page(viewport={'width':1400,'height':1600})
    page.set_default_timeout(30000); expect.set_options(timeout=30000)
    open_link(page, s.url, SCENARIO, 4); open_link(page, s.url, SCENARIO, 4)
    logs=[]
    page.on('console', lambda m: logs.append(m.text))
    page.get_by_role("radiogroup", name=en("lab.controls.mode")).get_by_text(en("lab.mode.manual"), exact=True).click()
    page.wait_for_url(lambda url: url_state(url)[0].mode == "manual")
    wait_idle(page)
    print('after manual', label(page))
    click(page, ".tp-last")
    k_before, n_before = step_of(label(page)); expect(page.locator('.tp-pending-item').first).to_be_visible()
    ids = page.locator(".tp-pending-item").evaluate_all("els => els.map(e => e.dataset.id)")
    chosen = next(i for i in reversed(ids) if i.startswith("m"))
    page.locator(f'.tp-pending-item[data-id="{chosen}"]').first.click()
    page.wait_for_url(lambda url: url_state(url)[0].choices[-1:] == (chosen,))
    wait_idle(page)
    for i in range(3):
        page.wait_for_timeout(500)
        print(i, label(page), url_state(page.url)[1], len(url_state(page.url)[0].choices), page.locator('.tp-root').count())
    print(logs[-10:])
    page.screenshot(path='/tmp/dbg2.png')
