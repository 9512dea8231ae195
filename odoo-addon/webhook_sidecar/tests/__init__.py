from . import test_schema
from . import test_tracked_model
from . import test_subscriber
from . import test_delivery
from . import test_access
from . import test_overview
from . import test_pull
from . import test_lists
