"""The landing contract: every feed a source system delivers, its format, columns and rules.

``model`` says what a feed is made of, ``feeds`` lists them (the one source of truth), and
``render`` derives the files that follow from it.
"""

from opswh.contract.feeds import *  # noqa: F403
from opswh.contract.feeds import FEEDS, FEEDS_BY_NAME, SOURCES, feeds_of, get_feed  # noqa: F401
from opswh.contract.model import Column, Feed, RowCheck  # noqa: F401
