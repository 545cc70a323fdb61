"""Every table of the app, imported so ``SQLModel.metadata`` is complete.

Alembic (``migrations/env.py``) and the tests import this module; a table whose models module is
missing here would be invisible to ``survey db revision`` (``tests/survey_app/test_migrations.py``
fails if any ``survey_app/**/models.py`` is left out). One line per module package.
"""

from survey_app.auth import models as auth_models
from survey_app.callcentre import models as callcentre_models
from survey_app.designs import models as designs_models
from survey_app.fieldwork import models as fieldwork_models
from survey_app.frames import models as frames_models
from survey_app.sampling import models as sampling_models
from survey_app.scheduling import models as scheduling_models
from survey_app.surveys import models as surveys_models

__all__ = [
    "auth_models",
    "callcentre_models",
    "designs_models",
    "fieldwork_models",
    "frames_models",
    "sampling_models",
    "scheduling_models",
    "surveys_models",
]
