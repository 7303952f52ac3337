"""Static vocabularies the generated catalogue draws from: sources, titles, skills, places.

Real-looking but fictional: company names are generated; places are real cities with their
coordinates (for geocoding and location filters); source ids are the SDK README's ATS list.
"""

from __future__ import annotations

# The SDK README's ATS ids (an open set on the real service).
SOURCES = (
    "workday", "smartrecruiters", "icims", "successfactors", "oraclecloud", "taleo", "dayforce", "csod",
    "adp", "ultipro", "paycom", "greenhouse", "lever_co", "ashby", "workable", "workable_jobs", "rippling",
    "polymer", "gem", "pinpoint", "homerun", "bamboohr", "breezy", "jazzhr", "recruitee", "personio",
    "jobvite", "teamtailor", "comeet", "trakstar", "zoho", "gohire", "recooty", "applicantpro",
    "hiringthing", "careerplug", "hirehive", "kula", "careerpuck", "talnet", "jobscore", "freshteam",
    "isolved", "joincom", "eightfold", "phenompeople",
)  # fmt: skip
# The most common ones carry most jobs (weights of the first entries of a skewed choice).
POPULAR_SOURCES = ("greenhouse", "lever_co", "workday", "ashby", "smartrecruiters", "icims", "workable", "bamboohr")
SANDBOX_SOURCE = "jobosandbox"

WORK_MODELS = ("remote", "hybrid", "onsite")
EMPLOYMENT_TYPES = ("full-time", "part-time", "contract", "internship", "freelance", "temporary")
EXPERIENCE_LEVELS = ("intern", "entry", "mid", "senior", "lead", "executive")
# Output values are display-cased (jobo-connectors types.ts), unlike the lowercase filter inputs.
DISPLAY = {
    "remote": "Remote", "hybrid": "Hybrid", "onsite": "On-site",
    "full-time": "Full-time", "part-time": "Part-time", "contract": "Contract", "internship": "Internship",
    "freelance": "Freelance", "temporary": "Temporary",
    "intern": "Intern", "entry": "Entry", "mid": "Mid", "senior": "Senior", "lead": "Lead", "executive": "Executive",
}  # fmt: skip
LEVEL_PREFIX = {
    "intern": "Intern",
    "entry": "Junior",
    "mid": "",
    "senior": "Senior",
    "lead": "Lead",
    "executive": "Director,",
}

# (title, normalized_title, alternative titles, core skills, industry hint)
ROLES = (
    ("Software Engineer", "software_engineer", ("Software Developer", "Programmer"), ("Python", "Java", "Git", "SQL")),
    ("Backend Engineer", "backend_engineer", ("Server Engineer", "API Developer"), ("Python", "Go", "PostgreSQL", "Docker")),
    ("Frontend Engineer", "frontend_engineer", ("UI Developer", "Web Developer"), ("JavaScript", "TypeScript", "React", "CSS")),
    ("Full Stack Developer", "full_stack_developer", ("Full Stack Engineer",), ("JavaScript", "Node.js", "React", "SQL")),
    ("Data Engineer", "data_engineer", ("ETL Developer", "Big Data Engineer"), ("Python", "Spark", "SQL", "Airflow")),
    ("Data Scientist", "data_scientist", ("Machine Learning Scientist",), ("Python", "Machine Learning", "Statistics", "SQL")),
    ("Machine Learning Engineer", "machine_learning_engineer", ("ML Engineer", "AI Engineer"), ("Python", "PyTorch", "Machine Learning", "Kubernetes")),
    ("DevOps Engineer", "devops_engineer", ("Site Reliability Engineer", "Platform Engineer"), ("Kubernetes", "Terraform", "AWS", "Linux")),
    ("Mobile Developer", "mobile_developer", ("iOS Developer", "Android Developer"), ("Swift", "Kotlin", "React Native", "Git")),
    ("QA Engineer", "qa_engineer", ("Test Engineer", "SDET"), ("Selenium", "Python", "Test Automation", "Jira")),
    ("Security Engineer", "security_engineer", ("Application Security Engineer",), ("Security", "Python", "AWS", "Linux")),
    ("Product Manager", "product_manager", ("Product Owner",), ("Product Management", "Roadmapping", "Jira", "Analytics")),
    ("Product Designer", "product_designer", ("UX Designer", "UI Designer"), ("Figma", "User Research", "Prototyping", "Design Systems")),
    ("Data Analyst", "data_analyst", ("Business Intelligence Analyst",), ("SQL", "Excel", "Tableau", "Python")),
    ("Account Executive", "account_executive", ("Sales Executive",), ("Salesforce", "Negotiation", "B2B Sales", "CRM")),
    ("Customer Success Manager", "customer_success_manager", ("Account Manager",), ("CRM", "Onboarding", "Zendesk", "SaaS")),
    ("Marketing Manager", "marketing_manager", ("Growth Marketer",), ("SEO", "Google Analytics", "Content Marketing", "HubSpot")),
    ("Recruiter", "recruiter", ("Talent Acquisition Partner",), ("Sourcing", "Greenhouse", "Interviewing", "LinkedIn Recruiter")),
    ("Financial Analyst", "financial_analyst", ("FP&A Analyst",), ("Excel", "Financial Modeling", "SQL", "Forecasting")),
    ("Registered Nurse", "registered_nurse", ("RN", "Staff Nurse"), ("Patient Care", "BLS", "EMR", "Medication Administration")),
    ("Operations Manager", "operations_manager", ("Operations Lead",), ("Process Improvement", "Excel", "Logistics", "Budgeting")),
    ("Technical Writer", "technical_writer", ("Documentation Engineer",), ("Technical Writing", "Markdown", "API Documentation", "Git")),
    ("Solutions Architect", "solutions_architect", ("Cloud Architect",), ("AWS", "Architecture", "Kubernetes", "Terraform")),
    ("Customer Support Specialist", "customer_support_specialist", ("Support Agent",), ("Zendesk", "Communication", "Troubleshooting", "CRM")),
)  # fmt: skip
SOFT_SKILLS = ("Communication", "Teamwork", "Problem Solving", "Ownership", "Mentoring", "Stakeholder Management")
EXTRA_SKILLS = (
    "Rust",
    "GraphQL",
    "Redis",
    "Kafka",
    "Snowflake",
    "dbt",
    "GCP",
    "Azure",
    "Elasticsearch",
    "Vue.js",
    "C#",
    "C++",
)

INDUSTRIES = (
    "Software", "Financial Services", "Healthcare", "E-commerce", "Education", "Media", "Logistics",
    "Manufacturing", "Cybersecurity", "Artificial Intelligence", "Real Estate", "Travel", "Energy", "Gaming",
)  # fmt: skip
CATEGORIES = ("b2b", "b2c", "b2b2c", "saas", "marketplace", "service-provider")
COMPANY_SIZES = ("1-10", "11-50", "51-200", "201-500", "501-1000", "1001-5000", "5001-10000", "10001+")
FUNDING_STAGES = ("seed", "series_a", "series_b", "series_c", "series_d", "private_equity", "ipo")
NAME_HEADS = (
    "Acme", "Nimbus", "Vertex", "Lumen", "Orbit", "Cobalt", "Juniper", "Harbor", "Quartz", "Summit", "Atlas",
    "Beacon", "Cedar", "Delta", "Ember", "Falcon", "Granite", "Helix", "Ion", "Kestrel", "Meridian", "Nova",
    "Onyx", "Pioneer", "Redwood", "Sierra", "Tidal", "Umbra", "Vireo", "Willow", "Zephyr", "Northwind",
)  # fmt: skip
NAME_TAILS = (
    "Labs",
    "Health",
    "Pay",
    "Systems",
    "Logistics",
    "Analytics",
    "Robotics",
    "Cloud",
    "Bank",
    "Learning",
    "Works",
    "AI",
)

# (city, region, region code, country, country code, continent, latitude, longitude)
CITIES = (
    ("San Francisco", "California", "CA", "United States", "US", "North America", 37.7749, -122.4194),
    ("New York", "New York", "NY", "United States", "US", "North America", 40.7128, -74.006),
    ("Seattle", "Washington", "WA", "United States", "US", "North America", 47.6062, -122.3321),
    ("Austin", "Texas", "TX", "United States", "US", "North America", 30.2672, -97.7431),
    ("Boston", "Massachusetts", "MA", "United States", "US", "North America", 42.3601, -71.0589),
    ("Chicago", "Illinois", "IL", "United States", "US", "North America", 41.8781, -87.6298),
    ("Denver", "Colorado", "CO", "United States", "US", "North America", 39.7392, -104.9903),
    ("Los Angeles", "California", "CA", "United States", "US", "North America", 34.0522, -118.2437),
    ("Atlanta", "Georgia", "GA", "United States", "US", "North America", 33.749, -84.388),
    ("Miami", "Florida", "FL", "United States", "US", "North America", 25.7617, -80.1918),
    ("Toronto", "Ontario", "ON", "Canada", "CA", "North America", 43.6532, -79.3832),
    ("Vancouver", "British Columbia", "BC", "Canada", "CA", "North America", 49.2827, -123.1207),
    ("London", "England", "ENG", "United Kingdom", "GB", "Europe", 51.5074, -0.1278),
    ("Manchester", "England", "ENG", "United Kingdom", "GB", "Europe", 53.4808, -2.2426),
    ("Dublin", "Leinster", "L", "Ireland", "IE", "Europe", 53.3498, -6.2603),
    ("Berlin", "Berlin", "BE", "Germany", "DE", "Europe", 52.52, 13.405),
    ("Munich", "Bavaria", "BY", "Germany", "DE", "Europe", 48.1351, 11.582),
    ("Amsterdam", "North Holland", "NH", "Netherlands", "NL", "Europe", 52.3676, 4.9041),
    ("Paris", "Ile-de-France", "IDF", "France", "FR", "Europe", 48.8566, 2.3522),
    ("Madrid", "Community of Madrid", "MD", "Spain", "ES", "Europe", 40.4168, -3.7038),
    ("Stockholm", "Stockholm County", "AB", "Sweden", "SE", "Europe", 59.3293, 18.0686),
    ("Warsaw", "Masovian Voivodeship", "MZ", "Poland", "PL", "Europe", 52.2297, 21.0122),
    ("Zurich", "Zurich", "ZH", "Switzerland", "CH", "Europe", 47.3769, 8.5417),
    ("Bangalore", "Karnataka", "KA", "India", "IN", "Asia", 12.9716, 77.5946),
    ("Singapore", "Singapore", "SG", "Singapore", "SG", "Asia", 1.3521, 103.8198),
    ("Tokyo", "Tokyo", "13", "Japan", "JP", "Asia", 35.6762, 139.6503),
    ("Sydney", "New South Wales", "NSW", "Australia", "AU", "Oceania", -33.8688, 151.2093),
    ("Melbourne", "Victoria", "VIC", "Australia", "AU", "Oceania", -37.8136, 144.9631),
    ("Sao Paulo", "Sao Paulo", "SP", "Brazil", "BR", "South America", -23.5505, -46.6333),
    ("Cape Town", "Western Cape", "WC", "South Africa", "ZA", "Africa", -33.9249, 18.4241),
)  # fmt: skip
CURRENCY_BY_COUNTRY = {"US": "USD", "CA": "CAD", "GB": "GBP", "IE": "EUR", "DE": "EUR", "NL": "EUR", "FR": "EUR",
                       "ES": "EUR", "SE": "SEK", "PL": "PLN", "CH": "CHF", "IN": "INR", "SG": "SGD", "JP": "JPY",
                       "AU": "AUD", "BR": "BRL", "ZA": "ZAR"}  # fmt: skip
# Rough USD value of one unit (salary filters compare yearly USD equivalents).
USD_PER_UNIT = {"USD": 1.0, "CAD": 0.73, "GBP": 1.27, "EUR": 1.08, "SEK": 0.095, "PLN": 0.25, "CHF": 1.12,
                "INR": 0.012, "SGD": 0.74, "JPY": 0.0067, "AUD": 0.66, "BRL": 0.2, "ZAR": 0.054}  # fmt: skip
YEARLY_FACTOR = {"hourly": 2080, "daily": 260, "weekly": 52, "monthly": 12, "yearly": 1, "per-diem": 260}

BENEFITS = (
    "Health, dental and vision insurance", "401(k) matching", "Unlimited paid time off", "Remote work stipend",
    "Equity", "Parental leave", "Learning budget", "Gym membership", "Home office setup", "Commuter benefits",
)  # fmt: skip
EDUCATION = ("Bachelor's degree in Computer Science", "Bachelor's degree or equivalent experience",
             "Master's degree in a quantitative field", "Nursing degree (BSN)", "High school diploma")  # fmt: skip
CERTIFICATIONS = ("AWS Certified Solutions Architect", "CISSP", "PMP", "Certified Kubernetes Administrator", "BLS")
RESPONSIBILITIES = (
    "Design, build and operate {skill} services used by thousands of customers",
    "Work with product and design to ship features end to end",
    "Review code and mentor other team members",
    "Own the reliability and performance of the systems you build",
    "Write clear documentation and share knowledge across teams",
    "Measure outcomes and iterate on what the data shows",
)  # fmt: skip

REMOTE_KEYWORDS = ("remote", "anywhere", "global", "worldwide", "work from home", "wfh", "telecommute", "distributed",
                   "fully remote", "remote first")  # fmt: skip
PLACEHOLDERS = ("hq", "headquarters", "head office", "office", "location", "flexible", "hybrid", "onsite", "on-site",
                "various", "n/a", "tbd", "tba")  # fmt: skip
