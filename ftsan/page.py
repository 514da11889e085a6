"""The findings page (reports/findings/index.html): one row per finding of the store, new ones
first, sortable and filterable, each with its history across runs and versions as a small
timeline and links to its report and reproducer. One static file, no server, no library.

Every text that comes from a run (signatures, exception messages, test ids, paths) is written
through html.escape into the rows; the script only sorts and hides the rows the page already has
(by their data- attributes, read as text, never as markup). Its state is the URL's fragment,
#status=open&kind=data-race&q=dlpack&sort=first_seen&desc=1, so a filtered view can be linked."""
import html
import os
import time

from . import harness

COLUMNS = (("id", "id"), ("status", "status"), ("first_seen", "first seen"), ("last_seen", "last seen"),
           ("kind", "kind"), ("component", "component"), ("known", "known issue"), ("hits", "runs hit"),
           ("history", "history"), ("signature", "finding"))

STYLE = """body{font-family:sans-serif;margin:1.5em} table{border-collapse:collapse;width:100%}
td,th{border:1px solid #bbb;padding:.25em .5em;vertical-align:top;font-size:90%} th{cursor:pointer;background:#eee}
tr.new td:first-child{border-left:4px solid #d40} tr.fixed{color:#666} .sig{font-family:monospace;word-break:break-all}
.tl{white-space:nowrap} .tl span{display:inline-block;width:.7em;height:1em;margin-right:1px;background:#9c9}
.tl span.hit{background:#d33} form label{margin-right:1em} tr.apart{background:#f7f7f7}"""

# Sorting and filtering of the rows the page has; the fragment keeps the view.
SCRIPT = """(function(){
var f=document.getElementById('filters'),body=document.getElementById('rows');
function state(){var s={};location.hash.slice(1).split('&').forEach(function(kv){if(!kv)return;
 var i=kv.indexOf('=');s[decodeURIComponent(kv.slice(0,i))]=decodeURIComponent(kv.slice(i+1));});return s;}
function apply(){var s=state();['q','status','kind','known','since'].forEach(function(k){f.elements[k].value=s[k]||'';});
 var rows=Array.prototype.slice.call(body.rows),shown=0;
 rows.forEach(function(r){var d=r.dataset,ok=(!s.status||d.status===s.status)&&(!s.kind||d.kind===s.kind)&&
  (!s.known||(s.known==='known')===(d.known!==''))&&(!s.since||d.first_seen>=s.since)&&
  (!s.q||r.textContent.toLowerCase().indexOf(s.q.toLowerCase())>=0);r.hidden=!ok;if(ok)shown++;});
 if(s.sort){var k=s.sort,dir=s.desc==='1'?-1:1;rows.sort(function(a,b){var x=a.dataset[k]||'',y=b.dataset[k]||'';
  if(k==='hits'){x=+x;y=+y;}return x<y?-dir:x>y?dir:0;});rows.forEach(function(r){body.appendChild(r);});}
 document.getElementById('shown').textContent=shown+' of '+rows.length+' shown';}
function set(k,v){var s=state();if(v)s[k]=v;else delete s[k];location.hash=Object.keys(s).map(function(x){
 return encodeURIComponent(x)+'='+encodeURIComponent(s[x]);}).join('&');}
f.addEventListener('input',function(e){set(e.target.name,e.target.value);});
Array.prototype.forEach.call(document.querySelectorAll('th[data-key]'),function(th){th.addEventListener('click',
 function(){var s=state(),k=th.dataset.key;set('desc',s.sort===k&&s.desc!=='1'?'1':'');set('sort',k);});});
window.addEventListener('hashchange',apply);apply();})();"""


def esc(v):
    return html.escape("" if v is None else str(v), quote=True)


def link(page_dir, path, text):
    """A link to a file of a report, relative to the page (an artifact that keeps both in one
    tree keeps the link); none when the file is not there."""
    if not path or not os.path.exists(path):
        return ""
    return f"<a href='{esc(os.path.relpath(path, page_dir))}'>{esc(text)}</a>"


def timeline(f):
    cells = []
    for h in f["history"][-40:]:
        what = (f"{h['at']} {'seen' if h['hit'] else 'clean'} in {h['runs_hit']}/{h['runs_done']} runs: "
                f"{h['scenario']} ({h['origin']}), {h['versions']}")
        cells.append(f"<span class='{'hit' if h['hit'] else 'clean'}' title='{esc(what)}'></span>")
    return "<div class='tl'>" + "".join(cells) + "</div>"


def row(f, page_dir, new_since):
    d = os.path.join(f["report"], "findings", f["report_group"]) if f["report"] else None
    files = " ".join(x for x in (link(page_dir, d and os.path.join(d, "report.md"), "report.md"),
                                 link(page_dir, d and os.path.join(d, "repro.py"), "repro.py")) if x)
    known = (f"<a href='{esc(f['known_url'])}'>{esc(f['known'])}</a>" if f["known_url"] else esc(f["known"] or ""))
    classes = " ".join(c for c in ("new" if f["first_seen"] >= new_since else "", f["status"],
                                   "apart" if f["by_design"] else "") if c)
    data = {"id": f["id"], "status": f["status"], "first_seen": f["first_seen"], "last_seen": f["last_seen"],
            "kind": f["kind"], "component": f["component"] or "", "known": f["known"] or "", "hits": f["runs_hit"],
            "signature": f["signature"]}
    attrs = " ".join(f"data-{k}='{esc(v)}'" for k, v in data.items())
    versions = (f"<br><small>seen on: {esc('; '.join(f['seen']))}"
                + (f"<br>clean on: {esc('; '.join(f['clean']))}" if f["clean"] else "")
                + (f"<br>fixed in numpy {esc(f['fixed_in'])}" if f["fixed_in"] else "") + "</small>")
    tests = f"<br><small>tests: {esc(', '.join(f['tests']))}</small>" if f["tests"] else ""
    title = f"<div class='title'>{esc(f['message'])}</div>" if f["message"] else ""
    notes = "".join(f"<br><small>{esc(n['kind'])}: {esc(n['text'])}</small>" for n in f["notes"])
    back = f"<br><small>came back {esc(f['came_back'][:10])}</small>" if f["came_back"] else ""
    apart = "<br><small>by design: the caller's, not counted</small>" if f["by_design"] else ""
    return (f"<tr class='{classes}' {attrs}><td>{esc(f['id'])}</td><td>{esc(f['status'])}{back}{apart}</td>"
            f"<td title='{esc(f['first_seen'])}'>{esc(f['first_seen'][:10])}</td>"
            f"<td title='{esc(f['last_seen'])}'>{esc(f['last_seen'][:10])}</td><td>{esc(f['kind'])}</td>"
            f"<td>{esc(f['component'] or '')}</td><td>{known}</td><td>{f['runs_hit']}/{f['runs']}</td>"
            f"<td>{timeline(f)}</td><td><span class='sig'>{esc(f['signature'])}</span>{title}{versions}{tests}{notes}"
            f"<br>{files}</td></tr>")


def render(store, page_dir, new_days=7):
    fs = store.findings()
    # New: first seen in the last week of the store's own runs (not of the clock: a store read
    # later says the same).
    latest = max((f["last_seen"] for f in fs), default="")
    new_since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(
        time.mktime(time.strptime(latest, "%Y-%m-%dT%H:%M:%SZ")) - new_days * 86400)) if latest else ""
    # Counted before by design; new first, then open, each the most recently seen first.
    fs.sort(key=lambda f: f["last_seen"], reverse=True)
    fs.sort(key=lambda f: (f["by_design"], f["first_seen"] < new_since, f["status"] != "open"))
    kinds = sorted({f["kind"] for f in fs})
    counted = [f for f in fs if not f["by_design"]]
    runs = store.runs()
    head = (f"<p>{len(counted)} findings ({sum(f['status'] == 'open' for f in counted)} open, "
            f"{sum(f['first_seen'] >= new_since for f in counted)} new in the last {new_days} days), "
            f"{len(fs) - len(counted)} by design (listed last, not counted), from {len(runs)} runs"
            + (f", {esc(runs[0]['at'])} to {esc(runs[-1]['at'])}" if runs else "") + ". "
            f"Store: {esc(os.path.basename(store.path))}. <span id='shown'></span></p>")
    form = ("<form id='filters' onsubmit='return false'><label>search <input name='q'></label>"
            "<label>status <select name='status'><option value=''>any</option><option>open</option>"
            "<option>fixed</option></select></label><label>kind <select name='kind'><option value=''>any</option>"
            + "".join(f"<option>{esc(k)}</option>" for k in kinds) + "</select></label>"
            "<label>known <select name='known'><option value=''>any</option><option>known</option>"
            "<option>unknown</option></select></label><label>first seen since <input name='since' "
            "placeholder='2026-12-01'></label></form>")
    ths = "".join(f"<th data-key='{k}'>{esc(t)}</th>" if k != "history" else f"<th>{esc(t)}</th>" for k, t in COLUMNS)
    rows = "\n".join(row(f, page_dir, new_since) for f in fs)
    return ("<!doctype html><html><head><meta charset='utf-8'><title>ftsan findings</title>"
            f"<style>{STYLE}</style></head><body><h1>Findings</h1>{head}{form}"
            f"<table id='findings'><thead><tr>{ths}</tr></thead><tbody id='rows'>\n{rows}\n</tbody></table>"
            f"<script>{SCRIPT}</script></body></html>\n")


def write(store, out):
    out = os.path.abspath(out)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    harness.atomic_write(out, render(store, os.path.dirname(out)))
