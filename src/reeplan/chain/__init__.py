"""The supply-chain model: capacity, routing and flows by element, stage, country and year."""

from reeplan.chain.model import ChainOptions, SupplyChain, build_chain

__all__ = ["ChainOptions", "SupplyChain", "build_chain"]
