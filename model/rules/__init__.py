"""The model's rules by mechanism, each a vectorised operation over the firm arrays or the park stocks.

- :mod:`~parkabm.model.rules.evaluation`: 亩均论英雄 classes and surcharges;
- :mod:`~parkabm.model.rules.chain_leaders`: 链主;
- :mod:`~parkabm.model.rules.growth`: firm growth and the agglomeration index;
- :mod:`~parkabm.model.rules.prices`: the industrial price index;
- :mod:`~parkabm.model.rules.race`: 赛马 ranking and quota shares;
- :mod:`~parkabm.model.rules.land`: low-efficiency land redevelopment, its pipeline, standard factories, new land;
- :mod:`~parkabm.model.rules.space`: allocation of space to firms and projects, relocation between parks;
- :mod:`~parkabm.model.rules.recruitment`: 精准招商;
- :mod:`~parkabm.model.rules.upgrading`: 技术改造;
- :mod:`~parkabm.model.rules.exit`: exit and enforced exit;
- :mod:`~parkabm.model.rules.funds`: milestone rewards, innovation support, the manufacturing fund.

The order in which they run each year is :data:`parkabm.model.schedule.PHASES`; docs/ODD.md section 7 states each
rule with its equation and parameters.
"""
