"""`python -m datagen`: write, check or describe the demo SDS exports (see datagen.generate)."""

import sys

from datagen.generate import main

sys.exit(main())
