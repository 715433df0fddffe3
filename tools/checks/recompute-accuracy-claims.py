# An independent recomputation (numpy/scipy, not the engine) of a quick study's test-accuracy claim rows with the
# interval method of lib/PneuKnow/Evaluation/PairedInterval.cs (paired t over pairs + patient-clustered shared test-set
# variance, Behrens-Fisher critical value, Holm over the primary rows). Optional: Debian's python3-numpy and
# python3-scipy; nothing in CI or the README's commands needs it.
#
# Usage: recompute-accuracy-claims.py STUDY_DIR DATA_DIR
#   STUDY_DIR: a study folder (runs/<unit>/<role>/run_k/predictions_test.csv, or .csv.gz)
#   DATA_DIR:  a folder with clean/manifest.csv and shortcut/manifest.csv of the phantoms the study ran on (for the
#              patients); e.g. made with `pneuknow synth` and the preset's settings.
# It was used to recompute the earlier quick reference (3 pairs, before the interval change) for the README.
import csv, gzip, os, numpy as np, sys
from scipy import stats, integrate, optimize
ref=sys.argv[1]
data=sys.argv[2]
def patients(cond):
    m={}
    for r in csv.DictReader(open(f'{data}/{cond}/manifest.csv')):
        m[r['file_name']]=r.get('patient_id') or r['file_name'].rsplit('.',1)[0]
    return m
def open_run_csv(path):
    # A committed run may hold its CSVs gzip-compressed (tools/study/finished-runs.sh --gzip); the engine reads either form
    # and refuses both (lib/PneuKnow/Data/Csv.cs, Csv.Locate), and so does this check.
    plain,gz=os.path.exists(path),os.path.exists(path+'.gz')
    if plain and gz: sys.exit(f'{path}: found both {path} and {path}.gz; delete the stale one')
    return gzip.open(path+'.gz','rt',newline='') if gz else open(path,newline='')
def preds(unit,role,k):
    rows=list(csv.DictReader(open_run_csv(f'{ref}/runs/{unit}/{role}/run_{k}/predictions_test.csv')))
    return {r['file_name']:(r['label'],r['predicted']) for r in rows}, [r['file_name'] for r in rows]
def fid(w,df,x=None,p=0.975):
    if w>=1: return stats.t.ppf(p,df) if x is None else stats.t.cdf(x,df)
    if w<=0: return stats.norm.ppf(p) if x is None else stats.norm.cdf(x)
    a,b=np.sqrt(w),np.sqrt(1-w)
    cdf=lambda x: integrate.quad(lambda t: stats.t.pdf(t,df)*stats.norm.cdf((x-a*t)/b),-np.inf,np.inf,limit=400)[0]
    return optimize.brentq(lambda z: cdf(z)-p,0,60) if x is None else cdf(x)
def clvar(x,ids):
    C=ids.max()+1; s=np.bincount(ids,weights=x-x.mean(),minlength=C); n=len(x)
    return C/(C-1)*np.sum(s**2)/n**2
def interval(a,b,ids):
    K=len(a); x=np.array(a)-np.array(b); d=x.mean(1); m=d.mean()
    s2=d.var(ddof=1); seed=s2/K
    vpair=np.mean([clvar(xi,ids) for xi in x]); vimg=clvar(x.mean(0),ids)
    pairspec=max(0,(vpair-vimg)*K/(K-1)); shared=max(0,vimg-pairspec/K)
    V=seed+shared; w=seed/V; se=np.sqrt(V); q=fid(w,K-1)
    p=min(1,2*fid(w,K-1,x=-abs(m)/se))
    return m,m-q*se,m+q*se,p,w
rows=[]
for cond in ['clean','shortcut']:
    pat=patients(cond)
    for bb in ['cntk_resnet18','resnet18']:
        ctrls=[('baseline',f'{bb}_{cond}_do_baseline','baseline','student',f'{bb}_{cond}_do_kd')]
        ctrls+=[(v,f'{bb}_{cond}_{v}_kd','student','student',f'{bb}_{cond}_do_kd') for v in ['noroi','roi10','roi30','roi60']]
        for name,bunit,brole,srole,sunit in ctrls:
            if not (os.path.isdir(f'{ref}/runs/{bunit}') and os.path.isdir(f'{ref}/runs/{sunit}')): continue
            _,order=preds(bunit,brole,0)
            ids=np.unique([pat[f] for f in order],return_inverse=True)[1]
            A=[];B=[]
            for k in range(3):
                pb,_=preds(bunit,brole,k); ps,_=preds(sunit,srole,k)
                B.append([1.0 if pb[f][0]==pb[f][1] else 0.0 for f in order]); A.append([1.0 if ps[f][0]==ps[f][1] else 0.0 for f in order])
            m,lo,hi,p,w=interval(A,B,ids)
            rows.append((cond,bb,name,m,lo,hi,p,w,len(order),ids.max()+1))
prim=[i for i,r in enumerate(rows) if r[1]=='cntk_resnet18' and r[2]=='baseline']
ps=sorted(prim,key=lambda i: rows[i][6]); adj={}; run=0
for j,i in enumerate(ps):
    run=max(run,min(1,(len(ps)-j)*rows[i][6])); adj[i]=run
print("condition,backbone,vs,estimate,ci_low,ci_high,p,p_holm,seed_share,n_images,n_patients,verdict")
for i,r in enumerate(rows):
    pa=adj.get(i,float('nan'))
    if i in adj: v='supported' if pa<0.05 and r[3]>0 else 'contradicted' if pa<0.05 and r[3]<0 else 'inconclusive'
    else: v='supported' if r[4]>0 else 'contradicted' if r[5]<0 else 'inconclusive'
    print(f"{r[0]},{r[1]},{r[2]},{r[3]:+.4f},{r[4]:+.4f},{r[5]:+.4f},{r[6]:.4f},{pa:.4f},{r[7]:.3f},{r[8]},{r[9]},{v}")

# Shortcut reliance (share predicted COVID-19 or fungal among test images with a device − among those without),
# baseline − HKD student, shortcut condition; test-set variance by a bootstrap over patients (1,000 draws).
try:
    from PIL import Image
except ImportError:
    sys.exit(0)
cond='shortcut'
if os.path.isdir(f'{data}/{cond}/devices'):
    pat=patients(cond)
    print("\ncondition,backbone,reliance baseline per pair,reliance student per pair,estimate,ci_low,ci_high,p,seed_share")
    for bb in ['cntk_resnet18','resnet18']:
        bunit,sunit=f'{bb}_{cond}_do_baseline',f'{bb}_{cond}_do_kd'
        if not (os.path.isdir(f'{ref}/runs/{bunit}') and os.path.isdir(f'{ref}/runs/{sunit}')): continue
        _,order=preds(bunit,'baseline',0)
        dev=np.array([np.asarray(Image.open(f'{data}/{cond}/devices/{f}')).any() for f in order])
        ids=np.unique([pat[f] for f in order],return_inverse=True)[1]
        conf={'C','P'}  # COVID-19 and fungal (P: pneumocystis) in the phantom's codes
        def rel(pred,idx): return pred[idx][dev[idx]].mean()-pred[idx][~dev[idx]].mean()
        B=[];S=[]
        for k in range(3):
            pb,_=preds(bunit,'baseline',k); ps,_=preds(sunit,'student',k)
            B.append(np.array([pb[f][1] in conf for f in order],float)); S.append(np.array([ps[f][1] in conf for f in order],float))
        allidx=np.arange(len(order)); K=3
        d=np.array([rel(B[k],allidx)-rel(S[k],allidx) for k in range(K)])
        members=[np.where(ids==c)[0] for c in range(ids.max()+1)]; C=len(members)
        rng=np.random.default_rng(0); vals=[]
        for r in range(1000):
            idx=np.concatenate([members[i] for i in rng.integers(0,C,C)])
            vals.append([rel(B[k],idx)-rel(S[k],idx) for k in range(K)])
        vals=np.array(vals); sc=C/(C-1)
        vpair=vals.var(0,ddof=1).mean()*sc; vimg=vals.mean(1).var(ddof=1)*sc
        m=d.mean(); seed=d.var(ddof=1)/K
        pairspec=max(0,(vpair-vimg)*K/(K-1)); shared=max(0,vimg-pairspec/K); V=seed+shared; w=seed/V; se=np.sqrt(V)
        q=fid(w,K-1); p=min(1,2*fid(w,K-1,x=-abs(m)/se))
        print(f"{cond},{bb},{'/'.join(f'{rel(B[k],allidx):.3f}' for k in range(K))},{'/'.join(f'{rel(S[k],allidx):.3f}' for k in range(K))},{m:+.4f},{m-q*se:+.4f},{m+q*se:+.4f},{p:.4f},{w:.3f}")
