"""Behavioural parameters of the model: one documented place for every number that is not a policy lever.

Policy levers (what a government chooses) live in the scenario schema (`parkabm.scenarios.schema`). The parameters
here describe how firms and parks behave; none of them has a precise public figure, so each carries a default, a
plausible range and its source (a policy-text clause, a DATA-SOURCES line, or ``assumed: <why>``). A scenario's
``uncertainties:`` block may give any of them a distribution; the model samples one value per replicate.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Parameter:
    """One behavioural parameter.

    Attributes:
        name: Identifier used in scenario files and in the model.
        default: Value used when the scenario gives no distribution.
        low: Lowest plausible value (also the hard lower bound for sampled values).
        high: Highest plausible value (also the hard upper bound for sampled values).
        unit: Unit of the value.
        source: Citation or ``assumed: <why>``.
        description: What the parameter does, in one sentence.
        label: English and Chinese names for charts and tables (sensitivity, discovery, effects).
        sampled_in_baseline: Whether the baseline scenario gives it a distribution. The rules' assumed numbers are
            fixed at their defaults there (so the baseline draws what it drew when they were constants) and are
            sampled only when an experiment makes them an uncertainty factor.
        group: Source of uncertainty the parameter belongs to in a variance decomposition (one of
            :data:`VARIANCE_GROUPS`); empty means the name rule of :func:`variance_group` decides.
    """

    name: str
    default: float
    low: float
    high: float
    unit: str
    source: str
    description: str
    sampled_in_baseline: bool = True
    label: tuple[str, str] = ("", "")
    group: str = ""


_PARAMETERS = [
    Parameter(
        "base_output_multiplier", 1.0, 0.75, 1.30, "×",
        "scope.csv: the 2021 totals are derived, not reported; all_guishang 16000–25200 around 20152 (0.79–1.25; "
        "base_level.csv), industrial 9800–12700 around 11082 (0.88–1.15)",
        "Scales every park × sector 2021 output; the scope's range in scope.csv sets its distribution.",
        label=("2021 output base (×)", "2021年产值基数(倍)"),
    ),
    Parameter(
        "trend_growth_multiplier", 1.26, 0.5, 1.5, "×",
        "calibrated (docs/calibration/report.md): 1.26, 95% interval 0.98–1.5, identified by the 2020–2021 growth "
        "of 规上工业增加值 and 数字经济核心产业增加值 in a back-cast from 2019 (the industrial trends net of the "
        "channels, docs/ODD.md §7.18); before: 1.00 [0.55, 1.29] with the rules before the channels were netted; "
        "assumed: sector trends come from 2020–2021 growth (DATA-SOURCES), a volatile base",
        "Multiplies every sector's real trend growth.",
        label=("Sector trend growth (×)", "行业趋势增速(倍)"),
    ),
    Parameter(
        "price_growth_2022", 0.0, -0.04, 0.05, "/yr",
        "assumed: industrial prices as seen from 2021, without any later figure: no Hangzhou PPI series "
        "(DATA-SOURCES: Zhejiang PPI 2014 −1.2%); centred on no change, the range spanning the falls and rises of "
        "the years before 2021 (−4% to +5%)",
        "Nominal industrial price change in 2022.",
        label=("Price growth 2022", "2022年价格变动"),
    ),
    Parameter(
        "price_growth_2023", 0.0, -0.04, 0.05, "/yr",
        "assumed: industrial prices as seen from 2021, without any later figure: no Hangzhou PPI series "
        "(DATA-SOURCES: Zhejiang PPI 2014 −1.2%); centred on no change, the range spanning the falls and rises of "
        "the years before 2021 (−4% to +5%)",
        "Nominal industrial price change in 2023.",
        label=("Price growth 2023", "2023年价格变动"),
    ),
    Parameter(
        "price_growth_2024", 0.0, -0.04, 0.05, "/yr",
        "assumed: industrial prices as seen from 2021, without any later figure: no Hangzhou PPI series "
        "(DATA-SOURCES: Zhejiang PPI 2014 −1.2%); centred on no change, the range spanning the falls and rises of "
        "the years before 2021 (−4% to +5%)",
        "Nominal industrial price change in 2024.",
        label=("Price growth 2024", "2024年价格变动"),
    ),
    Parameter(
        "price_growth_later", 0.0, -0.03, 0.03, "/yr",
        "assumed: no information beyond 2024; centred on zero",
        "Nominal industrial price change from 2025 on (and before 2022 in back-cast runs).",
        label=("Price growth from 2025", "2025年起价格变动"),
    ),
    Parameter(
        "volatility_multiplier", 1.0, 0.5, 1.5, "×",
        "assumed: sector volatilities in sectors.csv are assumed"
        "; calibration: bounded below by the 2019–2021 moments (95% interval 0.92–4, docs/calibration/report.md), "
        "prior default kept",
        "Multiplies every sector's firm-level growth volatility.",
        label=("Growth volatility (×)", "增长波动(倍)"),
    ),
    Parameter(
        "size_volatility_exponent", 0.2, 0.0, 0.4, "",
        "assumed: firm-growth volatility falls with size (Gibrat deviations; typical 0.1–0.3)",
        "Volatility of a firm of output y is volatility × (y / 1亿)^(−exponent).",
        label=("Size exponent of volatility", "波动的规模弹性"),
    ),
    Parameter(
        "agglomeration_elasticity", 0.01, 0.0, 0.03, "/yr per log-share",
        "assumed: localisation economies of a few tenths of a percent per doubling"
        "; calibration: bounded below by the 2019–2021 moments (95% interval 0.92–4, docs/calibration/report.md), "
        "prior default kept",
        "Growth bonus per unit log of the sector's share of its park's output relative to the city.",
        label=("Agglomeration elasticity", "集聚效应弹性"),
    ),
    Parameter(
        "chain_spillover", 0.01, 0.0, 0.03, "/yr",
        "assumed: supplier pull of a chain leader (2022年7月征求意见稿 三.1 链主 带动 大中小企业融通)"
        "; calibration: bounded below by the 2019–2021 moments (95% interval 0.92–4, docs/calibration/report.md), "
        "prior default kept",
        "Growth bonus of same-sector firms in a park that hosts a chain leader (链主).",
        label=("Chain-leader spillover (/yr)", "链主溢出效应(/年)"),
    ),
    Parameter(
        "land_productivity_growth", 0.04, 0.02, 0.07, "/yr",
        "assumed: in-place intensification (零土地技改, higher 容积率 on own plots); the 2019 新制造业计划 targeted "
        "亩均增加值 +7%/yr nominal (DATA-SOURCES), part of which upgrades and new projects supply"
        "; calibration: bounded below by the 2019–2021 moments (95% interval 0.92–4, docs/calibration/report.md), "
        "prior default kept",
        "Yearly real growth of every industrial firm's output capacity per 亩 of space.",
        label=("In-place intensification (/yr)", "原地提效增速(/年)"),
    ),
    Parameter(
        "zone_gdp_share_2021", 0.55, 0.50, 0.65, "of city GDP",
        "DATA-SOURCES: the 16 zones account for >50% of GDP (about 2021); upper end assumed",
        "The zones' share of city GDP (18109亿, 2021), the denominator of the R&D / GDP target.",
        label=("Zones' share of city GDP 2021", "2021年园区占全市GDP比重"),
    ),
    Parameter(
        "upgrade_propensity", 0.06, 0.02, 0.15, "/yr",
        "calibration (docs/calibration/report.md): not identified by the 2019–2021 moments, prior kept (with the "
        "rules before the channels were netted it was bounded above 0.13); assumed: share of firms starting a "
        "技术改造 project in a year without subsidy",
        "Base yearly probability that a firm invests in technical transformation.",
        label=("Upgrade propensity (/yr)", "技改倾向(/年)"),
    ),
    Parameter(
        "upgrade_productivity_gain", 0.12, 0.05, 0.25, "×",
        "assumed: typical 技术改造 gains of land productivity",
        "Relative rise of land productivity, value-added rate and output capacity after an upgrade.",
        label=("Productivity gain of an upgrade", "技改生产率提升"),
    ),
    Parameter(
        "upgrade_investment_ratio", 0.08, 0.04, 0.15, "of output",
        "assumed: technical-transformation investment as a share of the firm's output",
        "Size of an upgrade project relative to the firm's output.",
        label=("Upgrade investment over output", "技改投资占产值比"),
    ),
    Parameter(
        "exit_base_hazard", 0.02, 0.005, 0.05, "/yr",
        "assumed: yearly exit rate of 规上 firms without enforcement"
        "; calibration: bounded below by the 2019–2021 moments (95% interval 0.92–4, docs/calibration/report.md), "
        "prior default kept",
        "Yearly exit probability of a firm in good standing.",
        label=("Base exit hazard", "企业基础退出率"),
    ),
    Parameter(
        "exit_d_multiplier", 8.0, 2.0, 15.0, "×",
        "assumed: D-class firms face 淘汰关停 pressure (DATA-SOURCES: A 重点发展 … D 淘汰关停)",
        "Hazard multiple of a D-class firm at full enforcement.",
        label=("Exit multiple of overdue D firms", "逾期D类企业退出倍数"),
    ),
    Parameter(
        "exit_loss_sensitivity", 3.0, 0.0, 8.0, "per unit decline",
        "assumed: exit hazard rises with output decline",
        "Relative hazard increase per unit of last year's output decline.",
        label=("Exit response to output loss", "退出对产值下降的敏感度"),
    ),
    Parameter(
        "recruitment_rate", 2.0, 0.5, 4.0, "projects per 100 亩 per year",
        "calibrated (docs/calibration/report.md): bounded below by the 2019–2021 moments (95% interval 0.92–4), "
        "prior default kept; assumed: gives about 200 sited projects a year citywide in the baseline, ~10 of them "
        "≥10亿 (2022年7月征求意见稿 三.3 targets 60 a year)",
        "Expected new projects per 100 亩 of available space at effort 1, while space is scarce.",
        label=("Project arrival rate", "项目落地率"),
    ),
    Parameter(
        "recruitment_saturation_mu", 1500.0, 500.0, 5000.0, "亩",
        "assumed: a park's 招商 team signs only so many projects a year however much land it has",
        "Available space at which a park's arrivals are half of the proportional rate (λ ∝ S / (1 + S / this)).",
        label=("Space at which arrivals saturate (mu)", "招商饱和用地(亩)"),
    ),
    Parameter(
        "relocation_min_shortfall", 0.2, 0.05, 0.5, "of held space",
        "assumed: only firms missing a substantial share of their space consider moving (杭政函〔2023〕13号 (六))",
        "A firm considers relocating only if the space it lacks is at least this share of the space it holds.",
        label=("Shortfall that prompts relocation", "触发迁移的空间缺口"),
    ),
    Parameter(
        "project_investment_median_yi", 1.5, 0.5, 3.0, "亿元",
        "assumed: median signed industrial project",
        "Median investment of a new project (lognormal).",
        label=("Median project investment (100M yuan)", "项目投资中位数(亿元)"),
    ),
    Parameter(
        "project_investment_sigma", 1.2, 0.8, 1.6, "log-sd",
        "assumed: heavy tail so that ≥10亿 projects are an outcome",
        "Log-standard deviation of project investment.",
        label=("Dispersion of project investment", "项目投资离散度"),
    ),
    Parameter(
        "project_output_per_investment", 1.2, 0.7, 2.0, "×",
        "assumed: mature output per unit of investment for industrial projects",
        "Output at full ramp-up per 亿元 of investment.",
        label=("Project output per investment", "项目产出投资比"),
    ),
    Parameter(
        "industry_fund_elasticity", 0.10, 0.0, 0.3, "per 100亿 of fund",
        "assumed: fund co-investment raises large leading-industry projects (2022年7月征求意见稿 三.6)",
        "Relative rise of the arrival rate of leading-industry projects per 100亿 of industry fund.",
        label=("Arrivals per industry fund", "产业基金招商弹性"),
    ),
    Parameter(
        "surcharge_pass_through", 1.0, 0.3, 2.0, "growth per cost share",
        "assumed: a surcharge equal to 1% of output lowers growth by about 1 point",
        "Growth lost per unit of 亩均 surcharge cost relative to output.",
        label=("Surcharge pass-through to growth", "差别化电价对增长的传导"),
    ),
    Parameter(
        "initial_utilisation", 0.85, 0.7, 0.95, "of capacity",
        "assumed: capacity utilisation of Chinese industry in 2021 was in the high 70s to mid 80s",
        "Mean share of capacity in use at the base year.",
        label=("Initial capacity utilisation", "初始产能利用率"),
    ),
    # --- assumed constants of the rules, declared so that a design can sample them (defaults: the values the rules
    # used as constants; the baseline fixes them at the default, so its numbers and random draws are unchanged) ---
    Parameter(
        "mujun_score_cap", 3.0, 2.0, 5.0, "× median",
        "assumed: Zhejiang schemes cap each indicator's score so one outlier indicator cannot carry a firm "
        "(range 2–5)",
        "An 亩均 indicator counts at most this multiple of its base-year benchmark in a firm's score.",
        sampled_in_baseline=False,
        label=("Per-mu indicator score cap", "亩均指标得分上限"),
    ),
    Parameter(
        "rectification_upgrade_factor_c", 1.5, 1.0, 3.0, "×",
        "assumed: 帮扶整治 pushes C-class firms toward 技术改造 (range 1–3)",
        "Upgrade-probability multiple of C-class firms under rectification.",
        sampled_in_baseline=False,
        label=("Upgrade multiple, class C", "C类技改倍数"),
    ),
    Parameter(
        "rectification_upgrade_factor_d", 2.0, 1.0, 3.0, "×",
        "assumed: 整改 deadlines push D-class firms toward 技术改造 more strongly than C (range 1–3)",
        "Upgrade-probability multiple of D-class firms under rectification.",
        sampled_in_baseline=False,
        label=("Upgrade multiple, class D", "D类技改倍数"),
    ),
    Parameter(
        "capacity_pressure_utilisation", 0.97, 0.90, 0.99, "of capacity",
        "assumed: firms close to full use of their space invest to expand capacity (range 0.90–0.99)",
        "Capacity use above which a firm counts as under capacity pressure when deciding to upgrade.",
        sampled_in_baseline=False,
        label=("Utilisation that counts as pressure", "产能压力利用率"),
    ),
    Parameter(
        "capacity_pressure_upgrade_factor", 1.5, 1.0, 2.0, "×",
        "assumed: capacity pressure raises the propensity to invest (range 1–2)",
        "Upgrade-probability multiple of firms under capacity pressure.",
        sampled_in_baseline=False,
        label=("Upgrade multiple under capacity pressure", "产能压力下技改倍数"),
    ),
    Parameter(
        "rd_gain_per_upgrade", 0.10, 0.0, 0.3, "×",
        "assumed: 技术改造 projects embody some R&D (range 0–0.3)",
        "Relative rise of a firm's R&D intensity after a 技术改造 project.",
        sampled_in_baseline=False,
        label=("R&D gain per upgrade", "技改带来的研发强度提升"),
    ),
    Parameter(
        "existing_plot_ratio", 1.2, 1.0, 1.5, "",
        "assumed: typical of older single-storey industrial plots in Zhejiang (range 1.0–1.5)",
        "容积率 of the plots firms occupy today; converts standard-factory floor into land-equivalent capacity.",
        sampled_in_baseline=False,
        label=("Plot ratio of existing buildings", "现有建筑容积率"),
    ),
    Parameter(
        "factory_land_share_of_vacant", 0.5, 0.3, 0.8, "of vacant land",
        "assumed: parks keep serviced land for land-based projects (range 0.3–0.8)",
        "Standard factories are built on at most this share of a park's vacant land each year.",
        sampled_in_baseline=False,
        label=("Standard factories' share of vacant land", "标准厂房占可供用地比例"),
    ),
    Parameter(
        "prior_redevelopment_mu_per_year", 5000.0, 2000.0, 10000.0, "亩/yr",
        "assumed: 整治 has run since the 2019 platform consolidation at about half the 2023 target "
        "(range 2000–10000 亩/yr)",
        "Redevelopment under way when the run starts, per year of lag, taken from the idle stock.",
        sampled_in_baseline=False,
        label=("Redevelopment before 2022 (mu/yr)", "2022年前低效用地整治(亩/年)"),
    ),
    Parameter(
        "phaseout_compensation_wan_per_mu", 100.0, 50.0, 200.0, "万元/亩",
        "assumed: value not in the sources (range 50–200万元/亩); the city refunds phaseout_compensation_share of "
        "it (制造业高质量发展若干意见: 不超过 … 实际支付企业补偿资金的30%)",
        "Compensation a district pays per 亩 to a firm it phases out.",
        sampled_in_baseline=False,
        label=("Phase-out compensation (10k yuan/mu)", "淘汰落后产能补偿(万元/亩)"),
    ),
    Parameter(
        "race_spread", 0.5, 0.25, 0.9, "",
        "assumed: 2022年7月征求意见稿 四.2 says funds and land/energy quotas follow the ranking without a formula "
        "(range 0.25–0.9)",
        "Under full 赛马 weight, the best-ranked park's quota per 亩 is (1 + spread) times the average, the "
        "worst's (1 − spread).",
        sampled_in_baseline=False,
        label=("Spread of race quotas", "赛马指标差距"),
    ),
    Parameter(
        "new_project_productivity_premium", 1.2, 1.0, 1.5, "×",
        "assumed: newer vintage and 标准地 standards (range 1.0–1.5)",
        "New projects' land productivity relative to their sector's typical firm.",
        sampled_in_baseline=False,
        label=("Productivity premium of new projects", "新项目生产率溢价"),
    ),
    Parameter(
        "project_capacity_slack", 0.9, 0.8, 1.0, "of capacity",
        "assumed: projects are planned with some room to grow (range 0.8–1.0)",
        "New projects are sited with space for their full-scale output at this utilisation.",
        sampled_in_baseline=False,
        label=("Capacity slack of new projects", "新项目产能余量"),
    ),
    Parameter(
        "innovation_rd_leverage", 1.0, 0.5, 2.0, "元 per 元",
        "assumed: no crowding in or out (range 0.5–2)",
        "R&D added per 元 of innovation-platform support.",
        sampled_in_baseline=False,
        label=("R&D per innovation support", "创新支持的研发杠杆"),
    ),
    Parameter(
        "utilisation_sd", 0.08, 0.05, 0.12, "of capacity",
        "assumed: firm-level spread of capacity use (range 0.05–0.12)",
        "Firm-level spread of base-year capacity utilisation around initial_utilisation.",
        sampled_in_baseline=False,
        label=("Spread of initial utilisation", "初始利用率离散度"),
    ),
    Parameter(
        "small_firm_floor_yi", 0.01, 0.005, 0.05, "亿元",
        "assumed: the 亩均 evaluation scores 规下 firms in the zones too (DATA-SOURCES); firms below this size are "
        "left out (range 0.005–0.05)",
        "Smallest 规下 firm generated at the base year (100万元).",
        sampled_in_baseline=False,
        label=("Smallest firm (100M yuan)", "最小企业规模(亿元)"),
    ),
    Parameter(
        "exit_size_elasticity", 0.4, 0.2, 0.6, "",
        "assumed: exit rates fall with firm size in firm-demography studies (Dunne, Roberts & Samuelson 1989, US "
        "manufacturing; range 0.2–0.6); with 0.4 a firm of 100亿 exits at 16% of the rate of a 1亿 firm",
        "Elasticity of the exit hazard with respect to firm size (h ∝ size^−β, reference 1亿).",
        sampled_in_baseline=False,
        label=("Exit hazard falls with size", "退出率随规模递减弹性"),
    ),
    Parameter(
        "exit_young_multiplier", 1.5, 1.0, 2.5, "×",
        "assumed: young firms exit more often (liability of newness; Dunne, Roberts & Samuelson 1989; range 1–2.5)",
        "Exit hazard multiple of a firm just entered; the excess decays as exp(−age / exit_young_years).",
        sampled_in_baseline=False,
        label=("Exit multiple of young firms", "新进入企业退出倍数"),
    ),
    Parameter(
        "exit_young_years", 3.0, 1.0, 5.0, "years",
        "assumed: the liability of newness lasts a few years (range 1–5)",
        "Decay time of the excess exit hazard of young firms (the liability of newness).",
        sampled_in_baseline=False,
        label=("Years a firm counts as young", "新进入企业年限"),
    ),
    Parameter(
        "service_entry_rate", 0.04, 0.02, 0.08, "/yr per firm",
        "assumed: births replace about the service firms that exit at the size-dependent hazard (about 4% of firms "
        "a year in the baseline), so entry and exit roughly offset in count and the sector trends (aggregate growth, "
        "net entry included) are not counted twice (range 0.02–0.08)",
        "Expected entering service firms per service firm alive in the same park and sector, per year.",
        sampled_in_baseline=False,
        label=("Service firm birth rate", "服务业企业进入率"),
    ),
    Parameter(
        "entry_size_ratio", 0.5, 0.25, 1.0, "×",
        "assumed: entrants are smaller than incumbents (range 0.25–1)",
        "Median size of an entering service firm relative to the population's size law (median 0.3亿).",
        sampled_in_baseline=False,
        label=("Entrant size over incumbents", "新进入企业规模比"),
    ),
    Parameter(
        "entry_max_size_yi", 10.0, 5.0, 50.0, "亿元",
        "assumed: a new service firm starts below 10亿 of revenue; larger arrivals are moves of established groups, "
        "which the model does not represent (range 5–50)",
        "Largest size of an entering service firm.",
        sampled_in_baseline=False,
        label=("Largest entrant (100M yuan)", "新进入企业规模上限(亿元)"),
    ),
    Parameter(
        "upgrade_margin", 0.08, 0.04, 0.15, "of extra output",
        "assumed: profit per 元 of extra output of a typical industrial firm, of the order of industrial profit "
        "margins (range 0.04–0.15)",
        "Margin on the extra output of a 技术改造 project: its expected return is gain × margin / investment ratio.",
        sampled_in_baseline=False,
        label=("Margin on upgrade output", "技改新增产值利润率"),
    ),
    Parameter(
        "upgrade_hurdle_rate", 0.10, 0.06, 0.15, "/yr",
        "assumed: cost of capital plus a risk premium that firms require of a project (range 0.06–0.15)",
        "Yearly return a firm requires on its own share of a 技术改造 investment.",
        sampled_in_baseline=False,
        label=("Hurdle rate of upgrades", "技改门槛收益率"),
    ),
    Parameter(
        "upgrade_return_sd", 0.5, 0.3, 0.8, "log-sd",
        "assumed: dispersion of project returns around the expected one (range 0.3–0.8)",
        "Log-sd of a 技术改造 project's return around its expectation; sets how many projects are near the hurdle.",
        sampled_in_baseline=False,
        label=("Dispersion of upgrade returns", "技改收益离散度"),
    ),
    Parameter(
        "industry_fund_deployment_years", 5.0, 3.0, 8.0, "years",
        "assumed: a government industry fund invests its capital over an investment period of about five years "
        "(range 3–8); 制造业高质量发展若干意见 (二十二) gives only the fund's size",
        "Years over which the industry fund deploys its capital (it invests industry_fund_yi / this a year).",
        sampled_in_baseline=False,
        label=("Industry fund deployment (years)", "产业基金投放期(年)"),
    ),
    Parameter(
        "industry_fund_stake_share", 0.2, 0.1, 0.3, "of project",
        "assumed: guidance funds take a minority stake that 撬动 social capital (2022年7月征求意见稿 三.6; "
        "range 0.1–0.3)",
        "Share of a co-invested project's enlarged investment that the industry fund provides.",
        sampled_in_baseline=False,
        label=("Industry fund stake", "产业基金出资比例"),
    ),
    Parameter(
        "low_efficiency_tax_share", 0.2, 0.1, 0.3, "of the base-year median 亩均税收",
        "assumed: 2022年7月征求意见稿 三.2 caps 低效用地 at 30% without defining it; county rules count land whose "
        "亩均税收 is far below the local benchmark (range 0.1–0.3 of the base-year median)",
        "A firm's land counts as low-efficiency land when its 亩均税收 is below this share of the base-year median "
        "of evaluated firms (indexed by the price level).",
        sampled_in_baseline=False,
        label=("Low-efficiency land threshold (share of median tax per mu)", "低效用地亩均税收门槛(占基年中位数)"),
    ),
    Parameter(
        "phaseout_acceptance_elasticity", 1.0, 0.5, 2.0, "",
        "assumed: 制造业高质量发展若干意见 (十九) sets the city's share (不超过30%) but nothing sourced says how much "
        "腾退 it calls forth; 1 = districts close buy-outs in inverse proportion to their net cost (range 0.5–2)",
        "Elasticity of accepted 腾退 of overdue D firms to the districts' net cost per 亩, (1 − city share) of the "
        "compensation.",
        sampled_in_baseline=False,
        label=("Phase-out acceptance elasticity", "腾退补偿响应弹性"),
    ),
    # Differentiated land, water and gas prices by 亩均 class (docs/ODD.md §7.11, model/rules/resources.py).
    Parameter(
        "land_use_tax_yuan_per_m2", 8.0, 3.0, 15.0, "元/m² per year",
        "assumed: 城镇土地使用税 in Hangzhou runs from 1.5 to 30元/m² by land grade; industrial land in the zones is "
        "mostly in the middle grades (range 3–15)",
        "Standard land-use tax on industrial land, the base of the differentiated land-tax levers.",
        sampled_in_baseline=False,
        label=("Standard land-use tax (yuan/m²)", "城镇土地使用税标准(元/平方米)"),
    ),
    Parameter(
        "water_m3_per_kwh", 0.01, 0.004, 0.03, "m³ per kWh",
        "assumed: industrial water use of about 3–7 m³ per 万元 of output against 150–650 kWh/万元 (sectors.csv); "
        "a firm's water use scales with its energy intensity",
        "Water a firm uses per kWh of electricity, to price the differentiated water surcharge.",
        sampled_in_baseline=False,
        label=("Water per kWh (m³)", "单位电耗用水(立方米/千瓦时)"),
    ),
    Parameter(
        "gas_m3_per_kwh", 0.03, 0.01, 0.08, "m³ per kWh",
        "assumed: natural gas supplies roughly a tenth to a quarter of industrial final energy in Zhejiang "
        "(1 m³ ≈ 10 kWh of heat), so 0.01–0.08 m³ per kWh of electricity",
        "Natural gas a firm uses per kWh of electricity, to price the differentiated gas surcharge.",
        sampled_in_baseline=False,
        label=("Gas per kWh (m³)", "单位电耗用气(立方米/千瓦时)"),
    ),
    Parameter(
        "land_release_response", 0.2, 0.0, 0.5, "share of unused land per year per +100% land tax",
        "assumed: 差别化用地 aims at idle land held by weak firms (制造业高质量发展若干意见 (十九)); a firm "
        "paying twice the land tax gives back a fifth of its unused land a year (range 0–0.5)",
        "Share of its unused land a firm releases to its park each year, per unit of its land-tax increase.",
        sampled_in_baseline=False,
        label=("Land release under land-tax surcharge", "差别化地税下闲置土地退还"),
    ),
    # --- macro shocks and prices (docs/ODD.md §7.18): the common city-wide shock, its drifting trend, the
    # sector-group loadings, the service price path and the trend share the model's channels supply; estimated by
    # parkabm.model.rules.macro.estimate_shock_process from the pre-2022 history of history.csv ---
    Parameter(
        "macro_shock_sd", 0.0145, 0.010, 0.022, "/yr",
        "estimated: Gaussian MLE of GDP real growth 2006–2021 (history.csv; linear trend + AR(1), gaps allowed; "
        "docs/ODD.md §7.18) gives σ 0.0145; range 0.010–0.022: 14 years",
        "sd of the yearly innovation of the city's common growth shock (points of real GDP growth).",
        label=("Macro shock sd", "宏观冲击标准差"),
    ),
    Parameter(
        "macro_shock_persistence", -0.24, -0.6, 0.4, "",
        "estimated: the same MLE gives ρ −0.24 (the 2020 dip and 2021 rebound); 14 years do not place it, so "
        "the range spans mild alternation to moderate persistence",
        "AR(1) coefficient of the common shock.",
        label=("Macro shock persistence", "宏观冲击持续性"),
    ),
    Parameter(
        "macro_loading_industry", 1.75, 1.2, 2.3, "×",
        "estimated: least squares of 规上工业增加值 growth (2009, 2019–2021, history.csv) on the GDP residual of the "
        "same year gives 1.75 (DATA-SOURCES: industrial growth swings more than GDP); four points, range 1.2–2.3",
        "Loading of industrial sectors' growth on the common shock.",
        label=("Industry loading on macro shock", "工业对宏观冲击的载荷"),
    ),
    Parameter(
        "macro_loading_export", 1.2, 1.0, 1.5, "×",
        "assumed: export-oriented branches (traditional manufacturing, smart IoT) swing with world demand on top "
        "of the city cycle; DATA-SOURCES give no export shares (range 1.0–1.5)",
        "Multiple of the industry loading for export-oriented sector groups.",
        label=("Extra loading of exporters", "出口型行业载荷倍数"),
    ),
    Parameter(
        "macro_loading_services", 0.6, 0.3, 1.0, "×",
        "assumed: services are less cyclical than industry (DATA-SOURCES: 2009 industry +6% while GDP +10%); "
        "range 0.3–1.0",
        "Loading of service sectors' growth on the common shock.",
        label=("Service loading on macro shock", "服务业对宏观冲击的载荷"),
    ),
    Parameter(
        "macro_trend_drift", -0.0025, -0.0051, 0.0, "/yr per yr",
        "estimated slope −0.0051/yr of the trend 2006–2021 (same MLE; DATA-SOURCES: ≈14% in 2006–07 to ≈7% in "
        "2018–19); assumed: whether the decline goes on after 2021 is not known, so from none to all of it",
        "Mean yearly change of the trend of real growth after the base year.",
        label=("Drift of trend growth", "趋势增速漂移"),
    ),
    Parameter(
        "macro_trend_drift_sd", 0.003, 0.0, 0.006, "/yr per yr",
        "assumed: small random-walk drift of the trend (14 years cannot separate it from the AR(1) shock and the "
        "linear decline); range 0–0.6 points a year",
        "sd of the yearly random-walk change of the trend.",
        label=("Random drift of trend", "趋势随机漂移"),
    ),
    Parameter(
        "macro_trend_shift", 0.0, -0.0157, 0.0157, "/yr",
        "estimated: standard error 0.0064 of the 2021 trend (generalised least squares at the MLE); the baseline "
        "draws it triangular over ±0.0157, whose sd is that standard error",
        "Shift of every sector's trend growth for the whole run: how far the trend the world was fitted to may be.",
        label=("Shift of trend growth", "趋势增速偏移"),
    ),
    Parameter(
        "macro_service_price_growth", 0.02, 0.0, 0.04, "/yr",
        "assumed: service prices rose by about 2% a year before 2021 (not in DATA-SOURCES, which have no "
        "Hangzhou price series); range 0–4%",
        "Nominal price change of service output each projected year (the service price path).",
        label=("Service price growth", "服务价格变动"),
    ),
    Parameter(
        "macro_trend_channels_industry", 0.070, 0.064, 0.076, "/yr",
        "derived: status_quo 2022–2025 median real industrial growth minus the estimated 2021 industrial trend "
        "(docs/ODD.md §7.18; experiments/analysis/calibration.py channel_offset) gives 0.070 (0.044 before the "
        "recalibration raised the trend multiplier to 1.26); range ±0.6 points: "
        "its Monte Carlo error and its dependence on the channels' uncertain parameters",
        "Part of the observed industrial trend the model's channels (recruitment, upgrading, exit of weak firms, "
        "space) already supply; subtracted from every industrial sector's trend.",
        label=("Trend supplied by channels", "渠道已贡献的趋势"),
    ),
]

PARAMETERS: dict[str, Parameter] = {p.name: p for p in _PARAMETERS}
"""Every behavioural parameter by name."""


def defaults() -> dict[str, float]:
    """Return the default value of every behavioural parameter."""
    return {name: p.default for name, p in PARAMETERS.items()}


# --- sources of uncertainty (variance decomposition, ``parkabm decompose``) ---

VARIANCE_GROUPS: dict[str, tuple[str, str]] = {
    "base": ("Base level and scope", "基数与口径"),
    "macro": ("Macro shocks and prices", "宏观冲击与价格"),
    "behaviour": ("Behavioural parameters", "行为参数"),
    "levers": ("Policy levers", "政策杠杆"),
    "noise": ("Monte Carlo noise (seeds)", "随机噪声(种子)"),
}
"""The sources a target's variance is split into, with English and Chinese labels. ``levers`` holds the lever
factors of a decomposition and ``noise`` the replicates' seeds; parameters fall in the first three."""

BASE_SUFFIX = "_2021"
"""Name rule: a parameter named ``base_*`` or ``*_2021`` describes the base year's level (group ``base``)."""

MACRO_PREFIXES = ("macro_", "price_growth")
"""Name rule: a parameter named ``macro_*`` or ``price_growth*`` is a macro shock or price path (group ``macro``)."""


def variance_group(name: str) -> str:
    """Return the source of uncertainty of parameter ``name``: its declared ``group``, else the name rule.

    The rule: ``base_*`` or ``*_2021`` → ``base``; ``macro_*`` or ``price_growth*`` → ``macro``; anything else →
    ``behaviour``. A parameter added later (e.g. a new macro shock) so falls into place without a second list.

    Raises:
        KeyError: ``name`` is not a declared parameter.
        ValueError: A declared ``group`` that is not a parameter group of :data:`VARIANCE_GROUPS`.
    """
    declared = PARAMETERS[name].group
    if declared:
        if declared not in VARIANCE_GROUPS or declared in ("levers", "noise"):
            raise ValueError(f"parameter {name}: group {declared!r} is not one of base, macro, behaviour")
        return declared
    if name.startswith("base_") or name.endswith(BASE_SUFFIX):
        return "base"
    if name.startswith(MACRO_PREFIXES):
        return "macro"
    return "behaviour"
