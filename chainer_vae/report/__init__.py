"""The results page and the tables it shares with REPRODUCE.md.

tables.py    REPRODUCE.md's generated number blocks (tools/update_reproduce.py writes them there)
"""
