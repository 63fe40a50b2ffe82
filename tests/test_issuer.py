"""Stage issuer: canonical issuers of real report openings, historical names, Traditional
script, page noise; evidence offsets into the text."""
from __future__ import annotations

import pytest

from inference import clean, load
from inference.data import to_dict
from inference.issuer import issuer, noise_in, read_clue, Clue
from inference.rules import default_rules
from inference.output import record, validate_record
from inference.pipeline import Pipeline
from inference.gazetteer import former_county, gazetteer


def run(text: str, source: str = "report.txt"):
    return issuer(clean.clean(load.from_text(text, source=source), default_rules()), default_rules())


# Openings of real reports (corpus id and source URL above each), the issuer they name,
# its six-digit division code and its level.
REAL = [
    # page-006: http://www.qxn.gov.cn/zfxxgk/zfxxgknb/2022n/xs/202303/t20230320_78593121.html
    ('根据《中华人民共和国政府信息公开条例》(国务院令第711号,以下简称《条例》)要求,现公布兴仁市人民政府2022年政府信息公开工作年度报告。本报告包括总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、政府信息公开行政复议和行政',
     '贵州省黔西南布依族苗族自治州兴仁市人民政府', '522302', 'county'),
    # page-007: http://xxgk.sxgp.gov.cn/gzbm/zfbgs/zfxxgknb/202301/t20230118_1734687.shtml
    ('高平市人民政府办公室\n2022年政府信息公开工作年度报告\n一、总体情况\n本年度报告根据《中华人民共和国政府信息公开条例》(国务院令第711号,以下简称《条例》)和国务院办公厅政府信息与政务公开办公室《关于政府信息公开工作年度报告有关事项的通',
     '山西省晋城市高平市人民政府办公室', '140581', 'county'),
    # page-011: https://www.np.gov.cn/cms/html/npszf/2013-01-25/1779102018.html
    ('本报告由南平市人民政府信息公开工作领导小组办公室根据《中华人民共和国政府信息公开条例》(以下简称《条例》)以及《福建省人民政府办公厅关于做好2012年政府信息公开工作年度报告有关事项的通知》(闽政办函〔2012〕157号)要求,汇总南平市各',
     '福建省南平市人民政府', '350700', 'city'),
    # page-012: https://www.ahhy.gov.cn/zfxxgk/public/column/24601?action=detail&title=2020&type=3
    ('怀远县公安局2020年政府信息公开工作年度报告\n本报告是根据《中华人民共和国政府信息公开条例》(以下简称《条例》)要求,由怀远县公安局编制。全文由政府信息公开总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、政府信息公开行政复',
     '安徽省蚌埠市怀远县公安局', '340321', 'department'),
    # page-013: http://www.shengsi.gov.cn/module/xxgk/xxgkAnnualReport.jsp?area=11330922002643296E&fbtime=2020
    ('嵊泗县公安局2020年度政府信息公开工作年度报告\n发布时间:2021-01-26\n\n2020年以来,嵊泗县公安局坚持以习近平新时代中国特色社会主义思想为指导,紧密围绕上级公安机关和县委、县政府工作要求,结合本单位工作实际,从政府信息公开工作',
     '浙江省舟山市嵊泗县公安局', '330922', 'department'),
    # page-014: http://www.tianmen.gov.cn/zwgk/bmhxzxxgkml/bm/sgaj/zfxxgk/xxgknb/202205/t20220523_4139640.shtml
    ('天门市公安局2020年度政府信息公开工作年度报告\n根据《中华人民共和国政府信息公开条例》(以下简称《条例》),天门市公安局编制了2020年政府信息公开年度报告。本报告中所列数据的统计期限自2020年1月1日起至12月31日止。如对本报告有任',
     '湖北省天门市公安局', '429006', 'department'),
    # page-017: http://www.cqkz.gov.cn/kz/fzhggwyh_80867/zwgk_72016/zfxxgknb_72026/202201/t20220118_10312940.html
    ('重庆市开州区公安局2021年政府信息公开工作年度报告\n\n一、总体情况\n(一)依法主动公开情况。在政务公开栏及其他平台建设上,按照市公安局和区委、区政府相关文件精神,结合工作实际,对本部门政务公开标准规范进行认真梳理,认真细化、修改、完善区公',
     '重庆市开州区公安局', '500154', 'department'),
    # page-026: http://www.fuqing.gov.cn/xjwz/zfxxgk/zfbmxxgk/zfjzfzcbm/fqsjyj/zfxxgknb/202001/t20200108_3168256.htm
    ('政府信息公开\n福清市教育局2019年政府信息公开工作年度报告\n来源:福清市教育局 时间:2020-01-08 07:58\n\n  根据《中华人民共和国政府信息公开条例》(以下简称《条例》)及国务院办公厅政府信息与政务公开办公室《关于政府信息公',
     '福建省福州市福清市教育局', '350181', 'department'),
    # page-035: https://www.yj.gov.cn/module/xxgk/xxgkAnnualReport.jsp?fbtime=2015&area=001008003014021
    ('永嘉县统计局2015年政府信息公开工作年度报告\n发布时间:2016-02-14\n\n根据《中华人民共和国政府信息公开条例》(以下简称《条例》)要求,现公布永嘉县统计局2015年政府信息公开工作年度报告。本年报由概述,主动公开政府信息情况,依申',
     '浙江省温州市永嘉县统计局', '330324', 'department'),
    # page-037: https://www.haicang.gov.cn/xx/zfxxgkzl/zfxxgknb/czjnb/202201/t20220106_826723.htm
    ('\n本报告根据《中华人民共和国政府信息公开条例》(国务院令第711号,以下简称《条例》)和国务院办公厅政府信息与政府公开办公室关于印发《中华人民共和国政府信息公开工作年度报告格式的通知》(国办公开办函〔2021〕30号)要求,结合区财政局政府信息公开工作实际编制,报告全文由“总体情况”、“主动公开政府信息情况”、“收到和处理政府信息公开申请情况”、“政府信息公开行政复议、行政诉讼情况”、“存在的主要问题及改进情况”、“其他需要报告的事项”六个部分组成。本报告中所列数据的统计时限为2021年1月1日至2021年12月31日。本报告可通过区政府门户网站(www.haicang.gov.cn)查阅或下载。如需咨询,请与海沧区财政局综合科联系',
     '福建省厦门市海沧区财政局', '350205', 'department'),
    # page-041: http://www.ych.gov.cn/xxgk/bmptlj/bm/czj/zfxxgknb/202201/t20220119_2694874.shtml
    ('宜城市财政局依据《中华人民共和国政府信息公开条例》和《中华人民共和国政府信息公开工作年度报告格式》编制了本报告,报告内容分为六个部分,报告中数据统计期限为2021年1月1日至2021年12月31日。\n—、总体情况\n(一)加强组织领导。我局始',
     '湖北省襄阳市宜城市财政局', '420684', 'department'),
    # page-042: http://czj.tjbh.gov.cn/contents/9746/253174.html
    ('滨海新区财政局2020年政府信息公开工作年度报告\n发布日期: 2021-01-27 10:19      来源: 区财政局\n字号:\n  • 扫一扫在手机打开当前页\n\n    2020年度区财政局政府信息公开工作年度报告\n\n    一、总体情',
     '天津市滨海新区财政局', '120116', 'department'),
    # page-049: http://e-gov.org.cn/article-131008.html
    ('安徽省人民政府2011年信息公开工作报告\n来源:中国电子政务网 更新时间:2012-06-05\n\n\n    本年度报告是根据《中华人民共和国政府信息公开条例》(以下简称《条例》)要求,综合各市人民政府和省政府各部门、各直属机构的政府信息公开',
     '安徽省人民政府', '340000', 'province'),
    # page-067: http://www.156152.com/zfjgzy/gzsrmzfbgt/zfxxgknb/bm/2018n/content/post_5632916.html
    ('\n廣州市人力資源和社會保障局\n2019年1月\n本報告是根據(jù)《中華人民共和國政府信息公開條例》的規定,由廣州市人力資源和社會保障局編制的2018年度政府信息公開年度報告。全文包括概述、主動公開政府信息情況、依申請公開政府信息情況、政府',
     '广东省广州市人力资源和社会保障局', '440100', 'department'),
    # page-094: http://61.150.65.235/zfxxgk/zfxxgknb/bmxxgknb/1906985013755834369.html
    ('首页/ 政府信息公开 / 政府信息公开年报 / 部门信息公开年报 / 正文\n\n杨陵区住房和城乡建设局2019年政府信息公开工作年度报告\n\n根据《中华人民共和国政府信息公开条例》,现公布我局2019年政府信息公开工作年度报告。\n\n一、总体情况',
     '陕西省咸阳市杨陵区住房和城乡建设局', '610403', 'department'),
    # page-096: http://shiyan.gov.cn/xxgk/xxgk_nb/2022_98308/202301/t20230128_4172982.shtml
    ('2022年,十堰市住房和城乡建设局以习近平新时代中国特色社会主义思想为指导,深入学习宣传贯彻党的二十大精神,坚持以人民为中心的发展思想,认真落实党中央、国务院关于政府信息公开工作的决策部署,贯彻落实新修订的《中华人民共和国政府信息公开条例》',
     '湖北省十堰市住房和城乡建设局', '420300', 'department'),
    # page-113: http://www.jdzcjq.gov.cn/zwgk/zfxxgknb/2022n_1/t876803.shtml
    ('本报告依据《中华人民共和国政府信息公开条例》(国务院令第711号)和《国务院办公厅政府信息与政务公开办公室关于印发〈中华人民共和国政府信息公开工作年度报告格式〉的通知》(国办公开办函〔2021〕30号)要求,结合2022年昌江区民政局政府信',
     '江西省景德镇市昌江区民政局', '360202', 'department'),
    # page-117: https://www.jyg.gov.cn/mzj/zfxxgk/zf/art/2023/art_b12bcae5cb60461782a28c75dd4519d3.html
    ('嘉峪关市民政局2022年政府信息公开工作年度报告\n根据《中华人民共和国政府信息公开条例》(以下简称《条例》),结合《关于做好2022年政府信息公开工作年度报告编制发布有关事项的通知》要求,市民政局对2022年政府信息公开工作进行了全面检查汇',
     '甘肃省嘉峪关市民政局', '620200', 'department'),
    # page-118: https://xam.gov.cn/xam/2023-09/26/article_2024041412163583826.html
    ('2022年兴安盟民政局政府信息公开工作年度报告\n一、总体情况\n按照《中华人民共和国政府信息公开条例》(国务院令第711号)和《国务院办公厅政府信息与政务公开办公室关于印发 <中华人民共和国政府信息公开工作年度报告格式> 的通知》(国办公开办',
     '内蒙古自治区兴安盟民政局', '152200', 'department'),
    # page-135: http://fgw.henan.gov.cn/2023/01-19/2677014.html
    ('河南省发展和改革委员会2022年政府信息公开工作年度报告\n\n时间:2023-01-19 20:23 来源:办公室\n\n  本年度报告由河南省发展和改革委员会根据《中华人民共和国政府信息公开条例》以及国办公开办《关于政府信息公开工作年度报告有关',
     '河南省发展和改革委员会', '410000', 'department'),
    # page-149: http://jtj.sm.gov.cn/szfgzjg/jtj/zfxxgkndbg/201701/t20170112_594882.htm
    ('三明市交通运输局2016年政府信息公开工作年度报告\n来源:市交通运输局 时间:2017-01-12 08:58\n\n \n\n本年报是根据《中华人民共和国政府信息公开条例》(以下简称《条例》)、《福建省政府信息公开办法》(以下简称《办法》)规定和',
     '福建省三明市交通运输局', '350400', 'department'),
    # page-153: http://www.dafeng.gov.cn/art/2021/3/23/art_25177_3536543.html
    ('政府信息公开年报\n\n本报告是根据《中华人民共和国政府信息公开条例》(以下简称《条例》)要求编制而成。全文包括总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、政府信息公开行政复议行政诉讼情况,存在的主要问题及改进情况等。报告中所列数据的统计期限为2020年1月1日到2020年12月31日止。本报告的电子版可在盐城市大丰区人民政府门户网站下载。如对本报告有任何疑问,请与盐城市大丰区人民',
     '江苏省盐城市大丰区人民政府', '320904', 'county'),
    # page-155: http://www.tsqs.gov.cn/info/13951/728740.htm
    ('\n清水县农业农村局2023年政府信息公开工作年度报告\n根据《中华人民共和国政府信息公开条例》要求,现发布《清水县农业农村局2023年政府信息公开工作年度报告》。本报告由总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、政府信息',
     '甘肃省天水市清水县农业农村局', '620521', 'department'),
    # page-160: http://www.gaoxiao555.com/zwgk/xxgknb/2023gznb/202401/t20240123_1189550.shtml
    ('\n\n本報告依據《中華人民共和國政府信息公開條例》(國務院令第711號)(以下簡稱《條例》)、《中華人民共和國政府信息公開工作年度報告格式》(國辦公開辦函〔2021〕30號)要求編制。全文包括:總體情況、主動公開政府信息情況、收到和處理政府信息公開申請情況、政府信息公開行政復議和行政訴訟情況、存在的主要問題及改進情況、其他需要報告事項,報告所列數據的統計起止時間為2023年1月1日至2023年12月31日。本報告電子版可在隨縣人民政府門戶網站(www.zgsuixian.gov.cn)下載。如有疑問,請與隨縣政務服務和大數據管理局聯系(地址:隨縣政務服務中心,電話:0722-3338915)。\n一、總體情況\n(一)主動公開\n2023年',
     '湖北省随州市随县政务服务中心', '421321', 'department'),
    # page-057: https://www.sx.gov.cn/art/2021/1/6/art_1229425852_42136.html
    ('一、总体情况\n绍兴市卫生健康委是主管全市医疗卫生健康事业的市政府职能部门,按照《中华人民共和国政府信息公开条例》的要求开展政府信息公开工作。2020年,我委配备了1名兼职工作人员开展政府信息公开工作,设立1个信息申请受理点,在委办公室开辟1',
     '浙江省绍兴市卫生健康委', '330600', 'department'),
    # page-165: http://nyncw.cq.gov.cn/xxgk_161/zfxxgkzl/zfxxgknb/202201/t20220129_10359803_wap.html
    ('2021年,市农业农村委深入学习贯彻《中华人民共和国政府信息公开条例》,认真贯彻落实市政府关于政府信息公开工作的部署要求,提高政治站位,强化组织领导,坚持以“公开为常态,不公开为例外”,建立健全政府信息公开工作机制,狠抓平台建设,完善制度管理,常态化落实法定事项公开,聚焦聚力抓好“三农”领域重点热点事项公开,推进政府信息公开工作取得新进展,打造为农服务新形象。\n一、总体情况\n(一)聚焦主责主业,持续增强服务意识\n一是聚焦法定事项主动公开。打造新版重庆市农业农村委员会政务网站,全年累计发布相关信息6728条。公开农业',
     '重庆市农业农村委员会', '500000', 'department'),
    # page-110: http://big5.www.gov.cn/gate/big5/www.gov.cn/gzdt/2010-04/06/content_1574256.htm
    ('當前位置: 首頁>> 工作動態>> 地方政務\n \n西藏自治區人民政府2009年政府信息公開年度報告\n中央政府門戶網站 www.gov.cn   2010年04月06日   來源:西藏自治區人民政府網站\n\n2009年西藏自治區政府信息公開年度',
     '西藏自治区人民政府', '540000', 'province'),
    # page-018: http://hntrmy.com/col/12869_621852/art/202102/1612229521556DElPmsMr.html
    ('本报告由中国体彩网,体彩网公安局根据《中华人民共和国政府信息公开条例》(国令第711号)规定编制。报告所列统计期限自2020年1月1日至2020年12月31日。如对本报告有疑问,请与中国体彩网,体彩网公安局情报指挥中心联系(地址:中国体彩网,体彩网生态新城玉兰路6号,邮编:223001,电话:0517-81330700',
     None, '320800', None),
    # page-001: https://www.hanyang.gov.cn/bmxxgk/zfgzjg/qrmzfbgs/zfxxgkndbg/202301/t20230119_2136694.shtml
    ('根据《中华人民共和国政府信息公开条例》和政府信息公开工作的有关要求,现将我办2022年度政府信息公开情况报告如下:\n一、总体情况\n2022年,区政府办公室认真贯彻执行《中华人民共和国政府信息公开条例》和《武汉市政府信息公开暂行规定》的各项要',
     None, None, None),
    # seed-003: 2018年黄石市政府信息公开工作年度报告 (header block of the page)
    ("当前栏目:市政府部门\n\n2018年黄石市政府信息公开工作年度报告\n\n   时间:2019-02-24\n\n分享:\n\n"
     "索引号000014349/2019-01280 分类市政府部门\n发布机构市政府办公室 发文日期2019-02-24\n文号\n",
     "湖北省黄石市人民政府办公室", "420200", "city"),
]


@pytest.mark.parametrize("text,name,code,level", REAL)
def test_real_openings_give_the_canonical_issuer(text, name, code, level):
    doc = run(text)
    got = doc.metadata.issuer
    assert (got and got.name, got and got.region.code, got and got.level) == (name, code, level)
    if got is not None:
        assert 0 < got.confidence <= 0.99
        for part, ev in got.evidence.items():  # every part points into the text
            if ev.start is not None:
                assert doc.text[ev.start:ev.end] == ev.text, part
    else:
        assert any(w.code == "issuer_missing" and "no issuer" in w.message
                   for w in doc.warnings)


# Report titles in the naming pattern of real reports, with divisions that were renamed or
# merged since (a county that became a district or city; 撤地设市).
HISTORICAL = [
    ("襄樊市人民政府2009年政府信息公开工作年度报告", "湖北省襄阳市人民政府", "420600", "襄樊市"),
    ("成都市郫县人民政府2015年政府信息公开工作年度报告", "四川省成都市郫都区人民政府", "510117", "郫县"),
    ("郫县人民政府2015年政府信息公开工作年度报告", "四川省成都市郫都区人民政府", "510117", "郫县"),
    ("台州市玉环县2016年政府信息公开工作年度报告", "浙江省台州市玉环市人民政府", "331083", "玉环县"),
    ("2016年长沙市宁乡县人民政府政府信息公开工作年度报告", "湖南省长沙市宁乡市人民政府", "430182", "宁乡县"),
]


@pytest.mark.parametrize("title,name,code,former", HISTORICAL)
def test_former_names_resolve_to_the_current_division(title, name, code, former):
    got = run(title + "\n一、总体情况\n").metadata.issuer
    assert (got.name, got.region.code, got.former_name) == (name, code, former)


def test_traditional_script_reads_as_simplified():
    # page-110 (http://big5.www.gov.cn/...): a Big5 mirror of a province's report
    doc = run("發布機構：廈門市海滄區人民政府\n一、總體情況\n")
    got = doc.metadata.issuer
    assert (got.name, got.region.code) == ("福建省厦门市海沧区人民政府", "350205")
    ev = got.evidence["region"]
    assert doc.text[ev.start:ev.end] == "海滄區"


@pytest.mark.parametrize("text,code", [
    # page-018 (http://hntrmy.com/...): a mirror that put its name where the body's was;
    # the telephone area code 0517 still gives the prefecture (淮安), at low confidence
    ("本报告由中国体彩网,体彩网公安局根据《中华人民共和国政府信息公开条例》(国令第711号)规定编制。"
     "如对本报告有疑问,请与中国体彩网,体彩网公安局情报指挥中心联系(地址:中国体彩网,体彩网生态新城"
     "玉兰路6号,邮编:223001,电话:0517-81330700)", "320800"),
    # the spam string of the mirror page, nothing else to go by
    ("365bet(中国)官方网站2019年政府信息公开工作年度报告\n一、总体情况\n", None),
])
def test_mirror_noise_is_not_the_issuer(text, code):
    doc = run(text)
    codes = [w.code for w in doc.warnings]
    assert "issuer_noise" in codes
    got = doc.metadata.issuer
    if code is None:
        assert got is None and any("page noise" in w.message for w in doc.warnings
                                   if w.code == "issuer_missing")
    else:
        assert got.region.code == code and got.name is None and got.confidence <= 0.5
        assert "体彩" not in (got.name or "")


@pytest.mark.parametrize("text,level,department", [
    # generic unit resolved by another clue: 区政府办公室 with the county in the address
    ("发布机构：区政府办公室\n2022年政府信息公开工作年度报告\n联系地址：武汉市汉阳区鹦鹉大道111号\n",
     "county", None),
    # 本局 with a department named in the title
    ("2019年黄石市交通运输局政府信息公开工作年度报告\n本局认真贯彻落实条例。\n", "department",
     "交通运输局"),
    # a township under its county
    ("2021年遂溪县建新镇人民政府政府信息公开工作年度报告\n", "township", None),
    # an office of a city government publishes its own report (tests/data/unseen, 湛江 2023)
    ("根据《中华人民共和国政府信息公开条例》要求,特编制湛江市人民政府地方志办公室2023年政府信息公开"
     "工作年度报告。\n", "department", "地方志办公室"),
    # the government itself, followed by words that are no department name
    ("西安市人民政府关于2021年政府信息公开工作年度报告\n", "city", None),
    ("北京市海淀区人民政府门户网站发布2020年政府信息公开工作年度报告\n", "county", None),
])
def test_levels(text, level, department):
    got = run(text).metadata.issuer
    assert (got.level, got.department) == (level, department)


def test_area_code_and_filename_are_clues():
    doc = run("一、总体情况\n联系电话：0714-6251234\n", source="archive/黄石市2019年年报.txt")
    got = doc.metadata.issuer
    assert got.region.code == "420200"
    assert got.evidence["region"].kind == "source" and got.evidence["region"].start is None


def test_no_clue_warns_why():
    doc = run("根据条例，现将我办2022年度政府信息公开情况报告如下：\n一、总体情况\n")
    assert doc.metadata.issuer is None
    assert [w.code for w in doc.warnings] == ["issuer_missing"]


def test_book_titles_are_not_clues():
    r = read_clue(Clue("text", "认真执行《武汉市政府信息公开暂行规定》的各项要求", 0, 0.7),
                  default_rules().issuer, first_only=False)
    assert r is None


def test_gazetteer_comes_from_the_package_data():
    g = gazetteer()
    assert len(g.by_code) > 3000  # all counties, not a hand-typed list
    assert g.by_code["420281"].name == "大冶市"
    city = g.by_code["420200"]
    assert former_county(g, city, "大冶县").code == "420281"
    assert g.simplified("廣州市") == "广州市"
    assert noise_in("欧洲五大联赛直播", default_rules().issuer) and not noise_in("黄石市人民政府", default_rules().issuer)


def test_issuer_in_the_pipeline_and_the_record():
    doc = Pipeline().run_text("2018年黄石市政府信息公开工作年度报告\n一、总体情况\n")
    assert doc.metadata.issuer.name == "湖北省黄石市人民政府"
    rec = record(doc)
    validate_record(rec)
    assert rec["metadata"]["issuer"]["region"]["code"] == "420200"
    old = dict(rec, schema_version="1.1")
    old["metadata"] = {k: v for k, v in rec["metadata"].items() if k != "issuer"}
    validate_record(old)  # records written before the issuer still validate
    assert to_dict(doc.metadata.issuer)["level"] == "city"
