"""``python -m opswh.contract``: regenerate the files derived from the contract."""

from opswh.contract.feeds import write_generated

write_generated()
