"""The demo data generator: seeded Synthetic Data Studio exports of support-case comments with teacher answers.

Not part of the pipeline: it writes the demo inputs `Data/VendorComments.json` and
`Data/CustomerComments.json` that Step 1 reads, as a real teacher would through SDS.

    python -m datagen [--out Data] [--seed 1234] [--check] [--stats]

    catalog   the facts: platforms, products, their problems, people (frozen dataclasses)
    grammar   the `[a|b]` / `{slot}` notation the phrase banks are written in
    phrases   the wording, bank by bank, in the engineer's and the customer's voice
    compose   a drawn record of answers -> a comment whose text says exactly those answers
    generate  the SDS export around the comments, the noise, writing and checking the files, the CLI
    stats     realism figures and Step 1's own funnel on the generated files
"""

from datagen.generate import (DEFAULT_SEED, FILES, SIZES, build_exports, check_demo_data, generate_comments,
                              generate_export, render_export, write_demo_data)

__all__ = ["DEFAULT_SEED", "FILES", "SIZES", "build_exports", "check_demo_data", "generate_comments",
           "generate_export", "render_export", "write_demo_data"]
