"""Python code that makes ``import pandas`` fail as it does where pandas is not installed.

Prepended to ``python -c`` code (tests, the crawl benchmark): ``requirements.txt`` has no
pandas, but the dev requirements do, and pyarrow imports it into any process that has it.
``SCRAPY_WITHOUT_PANDAS`` runs the ``scrapy`` command so (``python -c CODE crawl ...``).
"""

WITHOUT_PANDAS = """
import importlib.abc, sys
class NoPandas(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "pandas" or name.startswith("pandas."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, NoPandas())
"""
SCRAPY_WITHOUT_PANDAS = (
    WITHOUT_PANDAS + "from scrapy.cmdline import execute\nexecute(['scrapy', *sys.argv[1:]])\n"
)
