from . import webhook_tracked_model
from . import webhook_subscriber
from . import webhook_delivery
from . import webhook_attempt
from . import webhook_event
from . import webhook_sidecar_instance
from . import webhook_job_run
from . import webhook_overview
