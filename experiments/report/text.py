"""Every heading and sentence of the policy brief, in English and Chinese, from one table.

Names of targets come from ``targets.csv`` (``name_en``/``name_zh``), of outputs from the output registry, of levers
from the scenario schema and of scenarios from the chart labels; this table holds only the brief's own words.
"""

from __future__ import annotations

from typing import Any

TEXT: dict[str, dict[str, str]] = {
    "title": {"en": "Policy brief: Hangzhou's development zones to {year}",
              "zh": "政策简报：杭州开发区(园区)至{year}年"},
    "run_line": {"en": "Scenarios {scenarios} · {reps} replicates each · seed {seed} · parkabm {version} · {date}",
                 "zh": "情景：{scenarios} · 每个情景{reps}次重复模拟 · 随机种子{seed} · parkabm {version} · {date}"},
    "contents": {"en": "Contents", "zh": "目录"},
    # 1 the question
    "question": {"en": "The question", "zh": "问题"},
    "question_text": {
        "en": "Will the zones reach {output_name} of {output_goal} and a {leading_name} of {leading_goal} by "
              "{year}?",
        "zh": "到{year}年，全市开发区(园区){output_name}能否达到{output_goal}，{leading_name}能否达到{leading_goal}？"},
    "question_source": {"en": "Targets as targets.csv states them: {sources}.",
                        "zh": "目标取自 targets.csv：{sources}。"},
    "scope": {"en": "Output scope", "zh": "产值口径"},
    "scope_text": {
        "en": "Output is counted as {scope_name} ({scope_id}): {total:,.0f} (100 million yuan) in {base_year}, range "
              "{low:,.0f}–{high:,.0f} (scope.csv). The other reading, {other_name} ({other_id}), starts at "
              "{other_total:,.0f}.",
        "zh": "产值按{scope_name}（{scope_id}）计算：{base_year}年{total:,.0f}亿元，区间{low:,.0f}–{high:,.0f}亿元"
              "（scope.csv）。另一口径{other_name}（{other_id}）起点为{other_total:,.0f}亿元。"},
    "scope_mixed": {"en": "The scenarios use different output scopes; each one's is given beside its name.",
                    "zh": "各情景产值口径不同，见各情景名称旁的说明。"},
    "from_odd": {"en": "From docs/ODD.md {where}:", "zh": "摘自 docs/ODD.md {where}（英文原文）："},
    "missing_doc": {"en": "({what} is not part of this installation; see the project's repository.)",
                    "zh": "（本安装中没有{what}，请见项目代码库。）"},
    # 2 answer
    "answer": {"en": "Every target: P(met) with 95% intervals", "zh": "各项目标达标概率（95%置信区间）"},
    "answer_intro": {
        "en": "P(met) is the share of replicates (each with its own draw of the uncertain inputs) meeting the target "
              "in its year, with a Wilson 95% interval. A target the model does not produce is marked "
              "“{not_modelled}”; one whose year the runs do not reach “{not_evaluated}”.",
        "zh": "达标概率为达到目标的模拟次数占比（每次模拟各自抽取不确定输入），附Wilson 95%置信区间。"
              "模型不产生的目标标为“{not_modelled}”，模拟未到达其年份的目标标为“{not_evaluated}”。"},
    "target": {"en": "Target", "zh": "目标"},
    "goal": {"en": "Goal", "zh": "目标值"},
    "source": {"en": "Source", "zh": "出处"},
    "not_modelled": {"en": "not modelled", "zh": "未建模"},
    "not_evaluated": {"en": "not evaluated", "zh": "未评估"},
    "goal_text": {"en": "{cmp} {value} in {year}", "zh": "{year}年{cmp}{value}"},
    # 3 projections
    "projections": {"en": "Projections", "zh": "预测"},
    "projections_intro": {
        "en": "Median, 25–75% and 5–95% of the replicates per year, with the target line and P(target met).",
        "zh": "各年份模拟结果的中位数、25%–75%与5%–95%区间，以及目标线与达标概率。"},
    # 4 comparison
    "comparison": {"en": "Scenarios compared", "zh": "情景比较"},
    "comparison_intro": {
        "en": "All scenarios run the same replicate numbers with the same master seed (common random numbers), so "
              "replicate r of each has the same draw of the uncertain inputs; differences come from the levers.",
        "zh": "各情景使用相同的重复编号与主随机种子（共同随机数），第r次模拟的不确定输入抽样相同，差异来自政策杠杆。"},
    "outcomes": {"en": "Outcomes in {year}: mean [5%, 95%] over replicates",
                 "zh": "{year}年结果：均值 [5%, 95%]（各次模拟）"},
    "outcome": {"en": "Outcome", "zh": "结果"},
    "difference": {"en": "Difference in P(met) from {reference}, percentage points",
                   "zh": "与{reference}相比的达标概率差（百分点）"},
    # 5 effects
    "effects": {"en": "What each lever does", "zh": "各政策杠杆的效应"},
    "effects_intro": {
        "en": "Paired effect (common random numbers) of one step of each lever of {scenario} on the {year} outcomes, "
              "mean of {reps} paired replicates with a 95% t interval; of {steps} policy-lever steps, {shown} are "
              "shown: those whose interval on output, leading share or a headline target excludes zero, largest "
              "effect on output first. The other steps, and the switches of the model's mechanisms, are in "
              "effects.csv ({more} rows of steps). Fiscal cost is the change of all levers' cost, {first}–{year}.",
        "zh": "{scenario}各政策杠杆变动一步对{year}年结果的配对效应（共同随机数），{reps}对模拟的均值及95% t区间；"
              "{steps}步政策杠杆变动中列出{shown}步：在产值、主导产业占比或主要目标上区间不含零者，"
              "按产值效应从大到小。其余变动及模型机制开关见 effects.csv（{more}步）。"
              "财政支出为{first}–{year}年全部杠杆支出的变化。"},
    "effects_from": {"en": "Effects read from {path}.", "zh": "效应读自 {path}。"},
    "effects_none": {"en": "No step has an interval excluding zero on these outcomes.",
                     "zh": "没有任何一步在这些结果上的区间不含零。"},
    "lever": {"en": "Lever", "zh": "政策杠杆"},
    "change": {"en": "Change", "zh": "变化"},
    "effect_on": {"en": "{what}", "zh": "{what}"},
    "pp": {"en": "pp", "zh": "百分点"},
    "p_of": {"en": "P({name})", "zh": "达标概率：{name}"},
    "fiscal": {"en": "Fiscal cost", "zh": "财政支出"},
    # 6 depends
    "depends": {"en": "What the answer depends on", "zh": "结论取决于什么"},
    "depends_decomposition": {
        "en": "Share of the variance of each target or output explained by each group of inputs (variance "
              "decomposition read from {path}).",
        "zh": "各组输入对各目标或结果方差的解释份额（方差分解，读自 {path}）。"},
    "depends_fallback": {
        "en": "Not a variance decomposition: the Spearman rank correlation, across this run's replicates, of the "
              "{year} outcomes with each uncertain input the replicates sampled (|ρ| near 1: the outcome moves with "
              "that input; near 0: no monotone link). Inputs ordered by |ρ| with {year} output in {scenario}. Give "
              "--decomposition FILE to show a variance decomposition instead.",
        "zh": "此非方差分解：为本次各次模拟中{year}年结果与每个抽样不确定输入的Spearman秩相关系数"
              "（|ρ|接近1：结果随该输入变化；接近0：无单调关系）。按{scenario}中与{year}年产值的|ρ|排序。"
              "使用 --decomposition FILE 可改为显示方差分解。"},
    "input_group": {"en": "Input group", "zh": "输入组"},
    "input": {"en": "Uncertain input", "zh": "不确定输入"},
    "rho_total_output_yi": {"en": "ρ with output", "zh": "ρ：产值"},
    "rho_leading_share": {"en": "ρ with leading share", "zh": "ρ：主导产业占比"},
    "depends_none": {"en": "No input varies across the replicates.", "zh": "各次模拟中没有变化的输入。"},
    # 7 method
    "method": {"en": "Method, data and caveats", "zh": "方法、数据与注意事项"},
    "method_model": {"en": "The model", "zh": "模型"},
    "method_targets": {"en": "Targets and intervals", "zh": "目标与区间"},
    "data": {"en": "Data sources", "zh": "数据来源"},
    "data_intro": {
        "en": "The world the model starts from (scenarios/data/): rows per file, how many rows rest wholly on an "
              "assumption (source “assumed: …”) and how many cite a figure or clause for some fields and assume "
              "the others.",
        "zh": "模型的初始世界（scenarios/data/）：各文件行数、出处完全为假设（“assumed: …”）的行数，"
              "以及部分字段引用数据或条款、其余为假设的行数。"},
    "file": {"en": "File", "zh": "文件"},
    "rows": {"en": "Rows", "zh": "行数"},
    "assumed_rows": {"en": "Assumed: all / part", "zh": "假设：全部/部分"},
    "what_file": {"en": "What it holds", "zh": "内容"},
    "caveats": {"en": "Caveats", "zh": "注意事项"},
    "footer": {"en": "Written by `parkabm report {args}`.", "zh": "由 `parkabm report {args}` 生成。"},
}
"""The brief's headings and sentences, by key, in both languages."""


def text(key: str, lang: str, **values: Any) -> str:
    """Return the brief's text ``key`` in ``lang``, formatted with ``values``."""
    return TEXT[key][lang].format(**values)
