"""The landing contract: every feed a source system delivers, its format, columns and rules."""

from opswh.contract.feeds import *  # noqa: F403
from opswh.contract.feeds import FEEDS, FEEDS_BY_NAME, SOURCES, Column, Feed, RowCheck, feeds_of, get_feed  # noqa: F401
