"""``python -m opswh.contract``: regenerate the files derived from the contract."""

from opswh.contract.render import write_generated

write_generated()
