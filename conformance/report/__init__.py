"""Reports of a run: results per check instance, matrix.json / matrix.html, summary.md, Allure environment."""
