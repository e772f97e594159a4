// A small self-contained dashboard: it polls /api/buckets and renders a table (no external assets).

/** The dashboard page. Text from the API is inserted with textContent, never as HTML. */
export function dashboardHtml(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>bucketops</title>
<style>
 body{font:14px system-ui,sans-serif;margin:2rem;color:#1d2330}
 h1{font-size:1.3rem} table{border-collapse:collapse;width:100%}
 th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid #e3e6ec;vertical-align:top}
 th{background:#f5f7fa} .True{color:#137333;font-weight:600} .False{color:#b3261e;font-weight:600}
 td.msg{max-width:32rem;overflow-wrap:anywhere} td.name{white-space:nowrap} .muted{color:#6b7280;font-size:12px}
 .Unknown{color:#8a6d00} code{font-size:12px} button{cursor:pointer} .problems{color:#b3261e}
</style></head>
<body><h1>bucketops — Buckets</h1><div class="problems" id="problems"></div>
<table><thead><tr><th>Bucket</th><th>Ready</th><th>Status</th><th>Revision</th><th>Artifact</th><th>Last reconcile</th><th></th></tr></thead>
<tbody id="rows"></tbody></table>
<script>
const el=(t,text,cls)=>{const e=document.createElement(t);if(text!==undefined)e.textContent=text;if(cls)e.className=cls;return e};
const ago=(t)=>{const s=Math.max(0,Math.round((Date.now()-Date.parse(t))/1000));return s<90?s+'s ago':s<5400?Math.round(s/60)+'m ago':Math.round(s/3600)+'h ago'};
async function refresh(){
  const res=await fetch('/api/buckets');const body=await res.json();const rows=document.getElementById('rows');rows.replaceChildren();
  for(const b of body.items){
    const ready=(b.status.conditions||[]).find(c=>c.type==='Ready');const tr=el('tr');
    tr.append(el('td',b.namespace+'/'+b.name,'name'));
    tr.append(el('td',b.suspended?'Suspended':b.reconciling?'Reconciling':(ready?ready.status:'Unknown'),ready?ready.status:'Unknown'));
    tr.append(el('td',ready?ready.message.replace(/sha256:([0-9a-f]{12})[0-9a-f]{52}/g,'sha256:$1…'):'','msg'));
    const a=b.status.artifact;const rev=el('td');rev.append(el('code',a?a.revision.slice(0,19)+'…':'—'));tr.append(rev);
    const link=el('td');if(a){const l=el('a',(a.size/1024).toFixed(1)+' KiB');l.href='/'+a.path;link.append(l)}tr.append(link);
    const lr=b.lastReconcile;const when=el('td',lr?ago(lr.at):'never');
    if(lr)when.append(el('div',lr.outcome+', '+lr.stats.downloaded+' fetched, '+lr.stats.cacheHits+' cached, '+lr.stats.durationMs+' ms','muted'));tr.append(when);
    const btn=el('button','Reconcile');btn.onclick=async()=>{btn.disabled=true;await fetch('/api/buckets/'+b.namespace+'/'+b.name+'/reconcile',{method:'POST'});btn.disabled=false;refresh()};
    const td=el('td');td.append(btn);tr.append(td);rows.append(tr);
  }
  const p=document.getElementById('problems');p.replaceChildren(...(body.problems||[]).map(x=>el('div',x.file+': '+x.message)));
}
refresh();setInterval(refresh,3000);
</script></body></html>`;
}
