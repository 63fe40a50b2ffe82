"""Counts for the ten unclear points of the v3 blind adjudication (docs/LABELS.md, "Decisions
from the blind adjudication") and the gold spans against the decisions. Reads the gold sets only.

    PYTHONPATH=. python annotations/agreement/v3-adjudication/counts.py [-v] [--write contradictions.jsonl]
"""
import json, re, sys, collections
from annotations.sets import list_sets, load_set

def group(name):
    if name == 'gold-v1': return 'v1'
    return 'r3' if name[-1] in 'ijk' else 'r2'

DOCS = []
for p in list_sets():
    if not p.name.startswith('gold-'): continue
    for d in load_set(p): DOCS.append((p.name, d))

COUNTS = collections.defaultdict(lambda: collections.Counter())   # point -> Counter((cls, group))
EXAMPLES = collections.defaultdict(list)
CONTRA = []
PUNCT = set('，。；、,;:：！？!?()（）\n “”"《》|')

def tally(point, cls, sname, d, s=None, note=''):
    COUNTS[point][(cls, group(sname))] += 1
    EXAMPLES[(point, cls)].append((sname, d.doc_id, s.text if s else None, note))

def contra(point, decision, sname, d, s, suggested, sug_span=None):
    CONTRA.append(dict(doc_id=d.doc_id, set=sname, start=s.start, end=s.end, text=s.text,
                       label=s.label, point=point, decision=decision, suggested=suggested,
                       suggested_start=sug_span[0] if sug_span else None,
                       suggested_end=sug_span[1] if sug_span else None))
    assert suggested is None or d.text[sug_span[0]:sug_span[1]] == suggested, (suggested, sug_span)

def spans(d, label=None):
    return [s for s in d.spans if label is None or s.label == label]

def values_of(d, m):
    ids = {r.from_id for r in d.relations if r.to_id == m.id}
    return [s for s in d.spans if s.id in ids]

def in_title(text, i):
    line_start = text.rfind('\n', 0, i) + 1
    seg = text[line_start:i]
    return seg.count('《') > seg.count('》')

VALUE = r'(?:共|达|達|了|近|约|約|超|逾)?[0-9０-９一二三四五六七八九十两兩百千万萬]'

# 1. channel + 公开 + value --------------------------------------------------------------
D1 = 'a channel before 公开 stays out, also for sub-totals by channel'
CH = r'(网上|網上|网站|網站|网|網|揭示板|栏|欄|微博|微信|公众号|公眾號|电视|電視|广播|廣播|报刊|報刊|平台|新媒体|新媒體|头条号|頭條號|抖音号?|APP|客户端|公报|公報|发布会|發布會|方式|渠道)'
rx1 = re.compile(CH + r'(上)?(公开|公開)([^\d，。；、,;:：\s]{0,8}?)' + VALUE)
for sname, d in DOCS:
    for m in rx1.finditer(d.text):
        g = m.start(3)   # the 公开
        cover = [s for s in spans(d, 'METRIC') if s.start <= g < s.end]
        if not cover: tally(1, 'unlabelled', sname, d, note=m.group()); continue
        s = cover[0]
        if s.start == g: tally(1, 'channel out', sname, d, s)
        else:
            tally(1, 'channel in', sname, d, s)
            contra(1, D1, sname, d, s, d.text[g:s.end], (g, s.end))

# 2. 结转 and its direction ------------------------------------------------------------
D2 = '结转 keeps its direction word (上年结转, 结转下年度继续办理 as the templates name them); other time words stay out'
DIR_BEFORE = r'(上一?年度?)$'
DIR_AFTER = r'(至|到)?(下一?年度?)(继续办理|繼續辦理)?'
for sname, d in DOCS:
    for s in spans(d, 'METRIC'):
        k = max(s.text.find('结转'), s.text.find('結轉'))
        if k < 0:
            pre = d.text[max(0, s.start - 12):s.start]
            mm = re.search(r'(结转|結轉)(至|到)?(下一?年度?)$', pre)
            if mm:  # 结转下年度 + METRIC 继续办理 -> 结转下年度继续办理
                tally(2, 'direction out (after)', sname, d, s)
                a = s.start - len(pre) + mm.start()
                contra(2, D2, sname, d, s, d.text[a:s.end], (a, s.end))
            continue
        a, b = s.start, s.end
        before = re.search(DIR_BEFORE, d.text[max(0, s.start - 4):s.start]) if k == 0 else None
        after = re.match(DIR_AFTER, d.text[s.end:s.end + 8]) if s.text.endswith(('结转', '結轉')) else None
        if before: a = s.start - len(before.group())
        if after: b = s.end + len(after.group())
        if (a, b) != (s.start, s.end):
            tally(2, 'direction out', sname, d, s)
            contra(2, D2, sname, d, s, d.text[a:b], (a, b))
        elif re.search(r'上一?年度?|下一?年度?', s.text):
            tally(2, 'direction in', sname, d, s)
        else:
            tally(2, 'no direction word next to it', sname, d, s)

# 3. X政府信息 ---------------------------------------------------------------------------
D3 = 'X政府 before 信息/政府信息 reads X + 政府信息: no ORG, unless X政府 stands beside another body (区委、区政府)'
rx3 = re.compile(r'(镇|鎮|乡|鄉|区|區|县|縣|市|省|州|旗)(人民)?政府(?=信息|資訊)')
OWNED = re.compile(r'(信息|資訊)(公开|公開)?(网|網|专栏|專欄|栏目|欄目|平台|目录系统|目錄系統)')
for sname, d in DOCS:
    for m in rx3.finditer(d.text):
        if in_title(d.text, m.start()): continue
        orgs = [s for s in spans(d, 'ORG') if s.start < m.end() and s.end > m.start()]
        if any(s.end > m.end() for s in orgs): continue          # a longer name (县政府信息公开领导小组)
        org = [s for s in orgs if s.end == m.end()]
        pre = d.text[max(0, m.start() - 3):m.start()]
        full = bool(m.group(2))
        if OWNED.match(d.text, m.end()): cls = 'owner of a website or column'
        elif re.search(r'委[、和及与與]?$', pre): cls = 'beside a body'
        elif re.search(r'[省市区县區縣国國]、$', pre): cls = 'level list'
        elif full: cls = 'full name X人民政府 + 信息'
        else: cls = 'X政府 + 信息'
        tally(3, cls + (': ORG' if org else ': no ORG'), sname, d, org[0] if org else None, d.text[max(0, m.start() - 6):m.end() + 6])
        if org and cls in ('X政府 + 信息', 'level list', 'owner of a website or column'):
            contra(3, D3, sname, d, org[0], None)

# 4. (以下简称 X) -------------------------------------------------------------------------
D4 = 'a short form in (以下简称…) takes the label of the name it stands for'
rx4 = re.compile(r'[(（](以下简称|以下簡稱|下称|下稱|简称|簡稱)[:：]?[“"]?([^”")）]{2,14}?)[”"]?[)）]')
for sname, d in DOCS:
    for m in rx4.finditer(d.text):
        ante = [s for s in spans(d, 'ORG') if s.end == m.start()]
        if not ante: continue
        a, b = m.span(2)
        org = [s for s in spans(d, 'ORG') if s.start == a and s.end == b]
        tally(4, 'short form of an ORG: ' + ('ORG' if org else 'no ORG'), sname, d, org[0] if org else None, m.group(2))
    for m in re.finditer(r'(政务|政務)(服务|服務)?(大厅|大廳)', d.text):
        if re.search(r'简称$|簡稱$', d.text[max(0, m.start() - 4):m.start()]): continue
        org = [s for s in spans(d, 'ORG') if s.start <= m.start() < s.end]
        tally(4, 'venue 政务(服务)大厅: ' + ('ORG' if org else 'no ORG'), sname, d, org[0] if org else None, m.group())

# 5. 更新 / 发放 with their channel or object --------------------------------------------
D5 = '更新/发放 take their object (更新办事指南, 发放各类宣传物料); a channel before them stays out (官方微博更新 gives 更新)'
VERB = r'(更新|发放|發放)'
for sname, d in DOCS:
    for s in spans(d, 'METRIC'):
        vals = [v for v in values_of(d, s) if v.label in ('COUNT', 'PERCENT', 'MONEY')]
        if not vals or s.text.endswith('率'): continue
        mv = re.match(VERB, s.text)
        if mv and len(s.text) > 2: tally(5, 'verb + object: verb in', sname, d, s)
        elif mv: pass
        pre = d.text[max(0, s.start - 8):s.start]
        mm = re.search(r'(印刷和|制作和|印制和)?' + VERB + r'(了)?$', pre)
        if mm and not mv:
            tally(5, 'verb + object: verb out', sname, d, s)
            a = s.start - len(pre) + mm.start()
            contra(5, D5, sname, d, s, d.text[a:s.end], (a, s.end))
        # channel before the verb
        mc = re.search(CH + r'(的)?' + VERB, s.text)
        if mc and not re.match(VERB, s.text):
            tally(5, 'channel + verb: channel in', sname, d, s)
            a = s.start + mc.start(3)
            contra(5, D5, sname, d, s, d.text[a:s.end], (a, s.end))
        elif mv and re.search(CH + r'$', pre):
            tally(5, 'channel + verb: channel out', sname, d, s)

# 6. 发生 before 行政复议/行政诉讼 -----------------------------------------------------------
D6 = '发生 stays out (like 引发, 引起): 发生行政复议4件 gives 行政复议'
for sname, d in DOCS:
    for s in spans(d, 'METRIC'):
        if not re.search(r'复议|復議|复議|诉讼|訴訟', s.text): continue
        if re.match(r'发生|發生', s.text):
            tally(6, '发生 in', sname, d, s)
            contra(6, D6, sname, d, s, s.text[2:], (s.start + 2, s.end))
            continue
        if re.match(r'引发|引起|引發', s.text): tally(6, '引发/引起 in', sname, d, s); continue
        pre = d.text[max(0, s.start - 25):s.start]
        clause = re.split(r'[，。；,;\n]', pre)[-1]
        if re.search(r'(发生|發生)$', clause): tally(6, '发生 out', sname, d, s)
        elif re.search(r'(发生|發生)因', clause): tally(6, '发生 out (因… between)', sname, d, s)
        elif re.search(r'(引发|引起|引發)(的)?$', clause): tally(6, '引发/引起 out', sname, d, s)

# 7. 按时办结 -----------------------------------------------------------------------------
D7 = 'a timeliness word (按时, 按期, 及时, 法定期限内) stays out of a METRIC with a count; it stays in a rate'
ADV = r'(按时限|按時限|按时|按時|按期|及时|及時|如期|限时|限時|法定期限内|法定期限內|规定时限内|規定時限內|规定期限内)'
for sname, d in DOCS:
    for s in spans(d, 'METRIC'):
        vals = values_of(d, s)
        if not vals: continue
        rate = s.text.endswith(('率', '性')) or all(v.label == 'PERCENT' for v in vals)
        ma = re.match(r'(在)?' + ADV + r'(予以)?', s.text)
        if ma and re.search(r'(办结|辦結|答复|答復|办理|辦理|回复|處理|处理|完成)', s.text):
            if rate: tally(7, 'rate: adverb in', sname, d, s)
            else:
                tally(7, 'count: adverb in', sname, d, s)
                a = s.start + ma.end(2)
                contra(7, D7, sname, d, s, d.text[a:s.end], (a, s.end))
            continue
        pre = d.text[max(0, s.start - 6):s.start]
        if re.search(ADV + r'$', pre) and not rate:
            tally(7, 'count: adverb out', sname, d, s)
        elif re.search(ADV, s.text) and rate:
            tally(7, 'rate: adverb in', sname, d, s)

# 8. things built or set up ----------------------------------------------------------------
D8 = 'things built or set up are values (建设二个重大平台: COUNT 二个 → 重大平台); counts of domains or categories are not'
rx8 = re.compile(r'(建设|建設|建立|打造|搭建|开设|開設|开通|開通|新建|建成|创建|創建|設立|设立|新设|新設|开辟|開闢|增设|增設|新增)(了)?(共)?([0-9]+|[一二三四五六七八九十两兩]+)(个|個|家|处|處|项|項|套|座|间|間|大)([^，。；、,;\s]{1,14})')
for sname, d in DOCS:
    for m in rx8.finditer(d.text):
        a, b = m.start(4), m.end(5)
        cnt = [s for s in spans(d, 'COUNT') if s.start <= a and s.end >= b]
        noun = m.group(6)
        cat = re.search(r'(领域|領域|方面|类|類)', noun) or d.text[m.start() - 1] == '只'
        cls = ('category/requirement' if cat else 'thing made') + (': COUNT' if cnt else ': no label')
        tally(8, cls, sname, d, cnt[0] if cnt else None, m.group())
        if cnt and cat: contra(8, D8, sname, d, cnt[0], None)

# 9. periodicals without 《》 --------------------------------------------------------------
D9 = 'a named periodical without 《》 is read like a newspaper: ORG (广内之声报刊 gives ORG 广内之声)'
for sname, d in DOCS:
    for s in spans(d, 'ORG'):
        if in_title(d.text, s.start) or d.text[s.start - 1:s.start] == '《': continue
        if re.search(r'(报|報)$', s.text) and not re.search(r'(公报|公報|政报|政報)$', s.text):
            tally(9, 'newspaper without 《》: ORG', sname, d, s)
        elif re.match(r'(报刊|報刊|刊物|简报|簡報|杂志|雜誌|期刊)', d.text[s.end:s.end + 2]):
            tally(9, 'named periodical without 《》: ORG', sname, d, s)
    for m in re.finditer(r'[^《》\s，。、；,;：:（）()“”]{2,6}(报刊|報刊|刊物|杂志|雜誌|期刊)', d.text):
        if in_title(d.text, m.start()): continue
        if any(s.start < m.start(1) and s.end > m.start() for s in d.spans): continue
        EXAMPLES[(9, 'other X+报刊/刊物 (no span before)')].append((sname, d.doc_id, None, m.group()))

# 10. 公开发布 -----------------------------------------------------------------------------
D10 = '公开发布 stays in with its object (公开发布各类信息); a 发布 alone stays out'
for sname, d in DOCS:
    for s in spans(d, 'METRIC'):
        if not values_of(d, s): continue
        if re.match(r'(公开|公開)(发布|發布)', s.text): tally(10, '公开发布 in', sname, d, s); continue
        pre = d.text[max(0, s.start - 4):s.start]
        if re.search(r'(公开|公開)(发布|發布)$', pre):
            tally(10, '公开发布 out', sname, d, s)
            contra(10, D10, sname, d, s, d.text[s.start - 4:s.end], (s.start - 4, s.end))

if __name__ == '__main__':
    for p in range(1, 11):
        print(f'== point {p}')
        classes = sorted({c for c, g in COUNTS[p]})
        for c in classes:
            row = {g: COUNTS[p][(c, g)] for g in ('v1', 'r2', 'r3')}
            print(f'  {c:42} total {sum(row.values()):3}  v1 {row["v1"]:3}  r2 {row["r2"]:3}  r3 {row["r3"]:3}')
            if '-v' in sys.argv:
                for e in EXAMPLES[(p, c)]: print('      ', e)
        if '-v' in sys.argv and p == 9:
            for e in EXAMPLES[(9, 'other X+报刊/刊物 (no span before)')]: print('   other', e)
    print('contradictions', len(CONTRA))
    for c in CONTRA: print(' ', c['point'], c['set'], c['doc_id'], c['label'], c['text'], '->', c['suggested'])
    if '--write' in sys.argv:
        out = sys.argv[sys.argv.index('--write') + 1]
        with open(out, 'w', encoding='utf-8') as fh:
            for c in sorted(CONTRA, key=lambda c: (c['point'], c['set'], c['doc_id'], c['start'])):
                fh.write(json.dumps(c, ensure_ascii=False) + '\n')
