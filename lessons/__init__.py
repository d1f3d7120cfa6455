"""Teaching content as data: scenario presets (``lessons/scenarios/*.yaml``, found by
``lessons.presets``) and, later, bilingual lessons and exercises discovered the same way."""
