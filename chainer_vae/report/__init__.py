"""The results page, results/index.html (`make report`, its only writer), and the tables it shares with REPRODUCE.md.

tables.py    REPRODUCE.md's generated number blocks (tools/update_reproduce.py writes them there)
sections.py  what the page shows, read from results/: figures, runs, music, beyond-paper experiments
explorer.py  the latent explorer's data: the Fig. 4 decoder's weights and the Fig. 3 test codes
page.py      renders templates/index.html.j2 (Jinja2) and writes the page and the explorer beside it
"""
