"""The services ledger (服务台账): what community officers did for people, counted per officer,
cell and community."""
