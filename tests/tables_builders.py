"""Small builders of 2021/2019-format tables for the table tests: the same logical rows
rendered as flattened text (three flattenings seen in scraped reports), HTML, DOCX and PDF."""
from __future__ import annotations

APP_HEAD = [
    ["(本列数据的勾稽关系为:第一项加第二项之和,等于第三项加第四项之和)", "申请人情况"],
    ["自然人", "法人或其他组织", "总计"],
    ["商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"],
]
WITHHELD = ["属于国家秘密", "其他法律行政法规禁止公开", "危及“三安全一稳定”", "保护第三方合法权益",
            "属于三类内部事务信息", "属于四类过程性信息", "属于行政执法案卷", "属于行政查询事项"]
UNAVAILABLE = ["本机关不掌握相关政府信息", "没有现成信息需要另行制作", "补正后申请内容仍不明确"]
NOT_PROCESSED = ["信访举报投诉类申请", "重复申请", "要求提供公开出版物", "无正当理由大量反复申请",
                 "要求行政机关确认或重新出具已获取信息"]
OTHER_2021 = ["申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
              "申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "其他"]

Z7 = ["0"] * 7


def app_rows(fmt: str = "2021", new=None, closed=None, disclosed=None, forward=None) -> list[list[str]]:
    """Rows of the application table (海沧 2023 figures by default)."""
    new = new or ["104", "3", "0", "0", "0", "0", "107"]
    rows = [r[:] for r in APP_HEAD]
    rows.append(["一、本年新收政府信息公开申请数量"] + new)
    rows.append(["二、上年结转政府信息公开申请数量"] + Z7)
    rows.append(["三、本年度办理结果", "(一)予以公开"] + (disclosed or ["45", "0", "0", "0", "0", "0", "45"]))
    rows.append(["(二)部分公开(区分处理的,只计这一情形,不计其他情形)", "17", "0", "0", "0", "0", "0", "17"])
    for k, lab in enumerate(WITHHELD):
        vals = ["2", "0", "0", "0", "0", "0", "2"] if k in (3, 5) else Z7
        rows.append((["(三)不予公开"] if k == 0 else []) + [f"{k + 1}.{lab}"] + vals)
    for k, lab in enumerate(UNAVAILABLE):
        vals = ["34", "3", "0", "0", "0", "0", "37"] if k == 0 else Z7
        rows.append((["(四)无法提供"] if k == 0 else []) + [f"{k + 1}.{lab}"] + vals)
    for k, lab in enumerate(NOT_PROCESSED):
        rows.append((["(五)不予处理"] if k == 0 else []) + [f"{k + 1}.{lab}"] + Z7)
    if fmt == "2021":
        for k, lab in enumerate(OTHER_2021):
            rows.append((["(六)其他处理"] if k == 0 else []) + [f"{k + 1}.{lab}"] + Z7)
    else:
        rows.append(["(六)其他处理"] + Z7)
    rows.append(["(七)总计"] + (closed or ["100", "3", "0", "0", "0", "0", "103"]))
    rows.append(["四、结转下年度继续办理"] + (forward or ["4", "0", "0", "0", "0", "0", "4"]))
    return rows


def proactive_rows(fmt: str = "2021") -> list[list[str]]:
    if fmt == "2019":
        return [
            ["第二十条第(一)项"], ["信息内容", "本年新制作数量", "本年新公开数量", "对外公开总数量"],
            ["规章", "1", "1", "9"], ["规范性文件", "12", "12", "140"],
            ["第二十条第(五)项"], ["信息内容", "上一年项目数量", "本年增/减", "处理决定数量"],
            ["行政许可", "1215", "-35", "1180"], ["其他对外管理服务事项", "0", "+4", "4"],
            ["第二十条第(六)项"], ["信息内容", "上一年项目数量", "本年增/减", "处理决定数量"],
            ["行政处罚", "20", "0", "310"], ["行政强制", "3", "0", "12"],
            ["第二十条第(八)项"], ["信息内容", "上一年项目数量", "本年增/减"],
            ["行政事业性收费", "5", "-1"],
            ["第二十条第(九)项"], ["信息内容", "采购项目数量", "采购总金额"],
            ["政府集中采购", "36", "1523.45"],
        ]
    return [
        ["第二十条第(一)项"], ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"],
        ["规章", "0", "0", "0"], ["行政规范性文件", "14", "3", "43"],
        ["第二十条第(五)项"], ["信息内容", "本年处理决定数量"], ["行政许可", "5225"],
        ["第二十条第(六)项"], ["信息内容", "本年处理决定数量"], ["行政处罚", "9352"], ["行政强制", "11"],
        ["第二十条第(八)项"], ["信息内容", "本年收费金额(单位:万元)"], ["行政事业性收费", "7832"],
    ]


REVIEW_HEAD = [
    ["行政复议", "行政诉讼"],
    ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计", "未经复议直接起诉", "复议后起诉"],
    ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 2,
]


def review_rows(values=None) -> list[list[str]]:
    return [r[:] for r in REVIEW_HEAD] + [values or ["0", "1", "1", "0", "2"] + ["0"] * 10]


# ---- renderings ----------------------------------------------------------------------
def as_rows(rows: list[list[str]]) -> str:
    """One row per line: ``规章 | 0 | 0 | 0 |``."""
    return "\n".join(" | ".join(r) + " |" for r in rows)


def as_cells(rows: list[list[str]]) -> str:
    """One cell per line ending in `` |``, with ``||`` noise lines between rows (海沧)."""
    out = []
    for r in rows:
        out += [f"{c} |" for c in r]
        out.append("||")
    return "\n".join(out[:-1])


def as_pipe_lines(rows: list[list[str]]) -> str:
    """Cells on their own lines with a lone ``|`` line between them."""
    return "\n|\n".join(c for r in rows for c in r)


def full_report(render, fmt: str = "2021", **app) -> str:
    return ("某某区政府信息公开工作年度报告\n一、总体情况\n全年主动公开政府信息100条。\n"
            "二、主动公开政府信息情况\n" + render(proactive_rows(fmt)) +
            "\n三、收到和处理政府信息公开申请情况\n" + render(app_rows(fmt, **app)) +
            "\n四、政府信息公开行政复议、行政诉讼情况\n" + render(review_rows()) +
            "\n五、存在的主要问题及改进情况\n无。\n")


def html_table(rows: list[list[str]]) -> str:
    return "<table>" + "".join(
        "<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows) + "</table>"


def as_html(fmt: str = "2021") -> str:
    return ("<html><head><meta charset='utf-8'><title>年度报告</title></head><body>"
            "<h1>某某区政府信息公开工作年度报告</h1><p>一、总体情况</p><p>全年主动公开政府信息100条。</p>"
            "<p>二、主动公开政府信息情况</p>" + html_table(proactive_rows(fmt)) +
            "<p>三、收到和处理政府信息公开申请情况</p>" + html_table(app_rows(fmt)) +
            "<p>四、政府信息公开行政复议、行政诉讼情况</p>" + html_table(review_rows()) +
            "<p>五、存在的主要问题及改进情况</p><p>无。</p></body></html>")


def as_docx(fmt: str = "2021") -> bytes:
    import io

    import docx

    d = docx.Document()
    d.add_paragraph("某某区政府信息公开工作年度报告")
    for title, rows in [("二、主动公开政府信息情况", proactive_rows(fmt)),
                        ("三、收到和处理政府信息公开申请情况", app_rows(fmt)),
                        ("四、政府信息公开行政复议、行政诉讼情况", review_rows())]:
        d.add_paragraph(title)
        width = max(len(r) for r in rows)
        t = d.add_table(rows=len(rows), cols=width)
        for i, r in enumerate(rows):
            for k, c in enumerate(r):
                t.cell(i, k).text = c
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def as_pdf(fmt: str = "2021") -> bytes:
    import io

    from reportlab.lib.pagesizes import A3, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    style = ParagraphStyle("zh", fontName="STSong-Light", fontSize=7, leading=9)
    story = [Paragraph("某某区政府信息公开工作年度报告", style)]
    for title, rows in [("二、主动公开政府信息情况", proactive_rows(fmt)),
                        ("三、收到和处理政府信息公开申请情况", app_rows(fmt)),
                        ("四、政府信息公开行政复议、行政诉讼情况", review_rows())]:
        story.append(Paragraph(title, style))
        width = max(len(r) for r in rows)
        data = [[c[:40] if len(c) > 40 else c for c in r] + [""] * (width - len(r)) for r in rows]
        t = Table(data)
        t.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), "STSong-Light", 6),
                               ("GRID", (0, 0), (-1, -1), 0.5, (0, 0, 0))]))
        story.append(t)
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=landscape(A3)).build(story)
    return buf.getvalue()
